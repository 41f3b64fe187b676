#!/usr/bin/env bash
# amazon-ebs, kiln vs Packer 1.6.6, on the same template against the same
# private moto_server (EC2 API) and a private sshd standing in for the
# instance (ssh_host/ssh_port override; a loop plays cloud-init by
# authorizing moto's key pairs). Prints, per tool, the wall time of each
# build and the number of EC2 API requests it made (counted by a loopback
# proxy, scripts/ebs-count-proxy.py), then the calls by action.
#
#   scripts/ebs-vs-packer.sh [RUNS]        (default 5)
#   KILN_BIN=path/to/kiln  measures that binary (default: target/release/kiln
#                          if built, else target/debug/kiln)
#   COMMUNICATOR=none      skips SSH and provisioning (API calls only)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
moto_bin=${KILN_MOTO_BIN:-$PWD/target/peers/moto/bin/moto_server}
py=$(dirname "$moto_bin")/python
kiln=${KILN_BIN:-}
if [ -z "$kiln" ]; then
    if [ -x target/release/kiln ]; then kiln=$PWD/target/release/kiln; else kiln=$PWD/target/debug/kiln; fi
fi
[ -x "$moto_bin" ] || { echo "moto_server missing at $moto_bin (scripts/test.sh installs it)" >&2; exit 1; }
[ -x "$kiln" ] || { echo "kiln binary missing: $kiln (cargo build -p kiln)" >&2; exit 1; }
command -v packer >/dev/null || { echo "packer missing (apt-get install packer)" >&2; exit 1; }
communicator=${COMMUNICATOR:-ssh}

work=$(mktemp -d /tmp/kiln-ebs-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# moto with one Canonical jammy image.
cat > "$work/amis.json" <<'EOF'
[{"ami_id": "ami-0a1b2c3d4e5f60002", "state": "available", "public": true, "owner_id": "099720109477", "image_location": "099720109477/jammy", "sriov": "simple", "root_device_type": "ebs", "root_device_name": "/dev/sda1", "description": "Canonical, Ubuntu", "image_type": "machine", "platform": null, "architecture": "x86_64", "name": "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240301", "virtualization_type": "hvm", "hypervisor": "xen", "creation_date": "2024-03-01T00:00:00.000Z"}]
EOF
moto_port=$(free_port)
MOTO_AMIS_PATH=$work/amis.json AWS_EC2_METADATA_DISABLED=true \
    "$moto_bin" -H 127.0.0.1 -p "$moto_port" 2> "$work/moto.log" > /dev/null &
pids+=($!)
endpoint=http://127.0.0.1:$moto_port

# sshd on loopback with its own keys.
ssh_port=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey"
: > "$work/authorized_keys"
mkdir -p /run/sshd
cat > "$work/sshd_config" <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/hostkey
AuthorizedKeysFile $work/authorized_keys
PidFile $work/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin yes
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
/usr/sbin/sshd -D -f "$work/sshd_config" -E "$work/sshd.log" &
pids+=($!)

for _ in $(seq 150); do
    curl -s "$endpoint/moto-api/" >/dev/null 2>&1 && break
    sleep 0.2
done

# The tools talk to moto through a counting proxy (one line per call: its
# EC2 Action), so the cloud-init loop's own calls are not counted.
proxy_port=$(free_port)
: > "$work/calls.log"
"$py" scripts/ebs-count-proxy.py "$moto_port" "$proxy_port" "$work/calls.log" &
pids+=($!)

# cloud-init stand-in: every key pair moto knows is authorized.
AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "$py" - "$endpoint" "$work/authorized_keys" <<'EOF' &
import sys, time, os, boto3
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-west-2")
last = None
while True:
    keys = [k.get("PublicKey", "").strip() for k in ec2.describe_key_pairs(IncludePublicKey=True)["KeyPairs"]]
    text = "".join(k + "\n" for k in keys if k)
    if text != last:
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write(text)
        os.replace(sys.argv[2] + ".tmp", sys.argv[2])
        last = text
    time.sleep(0.05)
EOF
pids+=($!)

user=$(id -un)
cat > "$work/t.pkr.hcl" <<EOF
variable "ami_name" {
  type = string
}
source "amazon-ebs" "bench" {
  region                  = "us-west-2"
  custom_endpoint_ec2     = "http://127.0.0.1:$proxy_port"
  skip_metadata_api_check = true
  instance_type           = "t3.micro"
  ami_name                = var.ami_name
  communicator            = "$communicator"
  ssh_username            = "$user"
  ssh_host                = "127.0.0.1"
  ssh_port                = $ssh_port
  source_ami_filter {
    filters = {
      name                = "ubuntu/images/*ubuntu-jammy-22.04-amd64-server-*"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720109477"]
    most_recent = true
  }
  tags = {
    Base_AMI = "{{ .SourceAMI }}"
  }
}
build {
  sources = ["source.amazon-ebs.bench"]
  provisioner "shell" {
    inline = ["echo provisioned"]
  }
}
EOF
if [ "$communicator" = none ]; then
    sed -i '/provisioner "shell"/,/^  }/d' "$work/t.pkr.hcl"
fi

requests() { wc -l < "$work/calls.log"; }
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true CHECKPOINT_DISABLE=1
echo "kiln: $kiln ($("$kiln" version 2>/dev/null | head -1)); packer: $(packer version | head -1); communicator: $communicator; runs: $runs"
printf '%-7s %-4s %10s %9s\n' tool run wall_s api_calls
for tool in packer kiln; do
    bin=packer; [ $tool = kiln ] && bin=$kiln
    for i in $(seq "$runs"); do
        before=$(requests)
        t0=$(date +%s.%N)
        if ! (cd "$work" && "$bin" build -color=false -var "ami_name=$tool-$i-$RANDOM" t.pkr.hcl > "$work/$tool-$i.log" 2>&1); then
            echo "$tool run $i failed:" >&2; cat "$work/$tool-$i.log" >&2; exit 1
        fi
        t1=$(date +%s.%N)
        after=$(requests)
        tail -n $((after - before)) "$work/calls.log" | sort | uniq -c | awk -v t=$tool '{print t, $2, $1}' >> "$work/actions"
        printf '%-7s %-4s %10.3f %9d\n' $tool "$i" "$(echo "$t1 - $t0" | bc)" $((after - before)) | tee -a "$work/results"
    done
done
echo
awk '{w[$1]+=$3; c[$1]+=$4; n[$1]++} END {for (t in n) printf "%-7s mean wall %.3f s, mean API calls %.1f\n", t, w[t]/n[t], c[t]/n[t]}' "$work/results" | sort
echo
echo "API calls by action, all runs:"
for tool in packer kiln; do
    echo "  $tool: $(awk -v t=$tool '$1 == t {s[$2] += $3} END {for (k in s) printf "%s=%d ", k, s[k]}' "$work/actions")"
done
