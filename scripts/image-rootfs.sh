#!/bin/sh
# Assemble the action image's root file system in DIR (used by the
# Dockerfile's rootfs stage): kiln, a POSIX shell with the usual utilities
# (busybox), the OpenSSH client, CA certificates, the shared libraries they
# load and the few /etc files ssh and glibc need. With WITH_ANSIBLE=true the
# whole system (with ansible-core and python3) is kept instead.
set -eu
R=${1:?usage: image-rootfs.sh DIR}
mkdir -p "$R"

if [ "${WITH_ANSIBLE:-false}" = true ]; then
    tar -C / --one-file-system \
        --exclude=./proc --exclude=./sys --exclude=./dev \
        --exclude=".${R}" --exclude=./var/cache/apt \
        -cf - . | tar -C "$R" -xf -
    exit 0
fi

# Debian's merged /usr layout.
mkdir -p "$R/usr/bin" "$R/usr/sbin" "$R/usr/lib" "$R/usr/local/bin" \
    "$R/etc/ssl/certs" "$R/etc/ssh" "$R/root/.ssh" "$R/tmp" "$R/var/tmp" \
    "$R/github/workspace" "$R/github/home" "$R/github/workflow"
for d in bin sbin lib; do ln -s "usr/$d" "$R/$d"; done
[ ! -e /lib64 ] || { mkdir -p "$R/usr/lib64"; ln -s usr/lib64 "$R/lib64"; }
chmod 1777 "$R/tmp" "$R/var/tmp"
chmod 700 "$R/root" "$R/root/.ssh"

# A file at the same path, symlinks followed.
put() {
    for f in "$@"; do
        mkdir -p "$R$(dirname "$f")"
        cp -L "$f" "$R$f"
    done
}

bins="/usr/local/bin/kiln /usr/bin/ssh /usr/bin/scp /usr/bin/sftp /usr/bin/ssh-keygen /usr/bin/ssh-keyscan /usr/bin/ssh-agent /usr/bin/ssh-add"
for b in $bins; do
    put "$b"
    # `libx.so => /path (addr)` and the loader's own `/path (addr)` line.
    ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' |
        while read -r lib; do put "$lib"; done
done

# busybox as /bin/sh and the usual utilities (links to /usr/bin/busybox).
cp /bin/busybox "$R/usr/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ -e "$R/usr/bin/$applet" ] || ln -s busybox "$R/usr/bin/$applet"
done

put /etc/ssl/certs/ca-certificates.crt /etc/ssh/ssh_config
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$R/etc/nsswitch.conf"

# Every binary must load in the new root (a missing library fails here,
# not in a user's workflow): the dynamic loader resolves each one there.
loader=$(ldd /usr/bin/ssh | awk '$1 ~ /^\// {print $1; exit}')
for b in $bins; do
    chroot "$R" "$loader" --list "$b" >/dev/null
done
chroot "$R" /usr/local/bin/kiln version
chroot "$R" /bin/sh -c 'echo "rootfs ok: $(ls /usr/bin | wc -l) commands"'
