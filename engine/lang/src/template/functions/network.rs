//! IP network (CIDR) functions for IPv4 and IPv6.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::helpers::{arg_err, int_arg, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::Value;

#[derive(Clone, Copy, Debug)]
struct Net {
    addr: u128,
    prefix: u32,
    bits: u32,
}

impl Net {
    fn full(&self) -> u128 {
        if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << self.bits) - 1
        }
    }

    fn mask_for(&self, prefix: u32) -> u128 {
        if prefix == 0 {
            0
        } else {
            (u128::MAX << (self.bits - prefix)) & self.full()
        }
    }

    fn host_bits(&self) -> u32 {
        self.bits - self.prefix
    }

    fn last(&self) -> u128 {
        self.addr | (!self.mask_for(self.prefix) & self.full())
    }

    fn fmt_addr(&self, addr: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }

    fn fmt(&self) -> String {
        format!("{}/{}", self.fmt_addr(self.addr), self.prefix)
    }
}

fn parse_cidr(s: &str, index: usize) -> Result<Net, FuncError> {
    let bad = || {
        arg_err(
            index,
            format!("invalid CIDR expression: invalid CIDR address: {s}"),
        )
    };
    let (ip, prefix) = s.split_once('/').ok_or_else(bad)?;
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
        return Err(bad());
    }
    let prefix: u32 = prefix.parse().map_err(|_| bad())?;
    let (addr, bits) = match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    };
    if prefix > bits {
        return Err(bad());
    }
    let mut net = Net { addr, prefix, bits };
    net.addr &= net.mask_for(prefix);
    Ok(net)
}

/// 2^n as i128 for n <= 127.
fn pow2(n: u32) -> i128 {
    if n >= 127 {
        i128::MAX
    } else {
        1i128 << n
    }
}

pub fn cidrhost(_: &FuncCtx, a: &[Value]) -> R {
    let net = parse_cidr(&str_arg(a, 0)?, 0)?;
    let num = i128::from(int_arg(a, 1)?);
    let size = pow2(net.host_bits());
    let out_of_range = || {
        arg_err(
            1,
            format!(
                "prefix of {} does not accommodate a host numbered {num}",
                net.prefix
            ),
        )
    };
    let offset = if num < 0 {
        if -num > size {
            return Err(out_of_range());
        }
        (size + num) as u128
    } else {
        if num >= size {
            return Err(out_of_range());
        }
        num as u128
    };
    Ok(string(net.fmt_addr(net.addr | offset)))
}

pub fn cidrnetmask(_: &FuncCtx, a: &[Value]) -> R {
    let net = parse_cidr(&str_arg(a, 0)?, 0)?;
    if net.bits != 32 {
        return Err(arg_err(0, "IPv6 addresses cannot have a netmask"));
    }
    Ok(string(net.fmt_addr(net.mask_for(net.prefix))))
}

fn subnet(net: &Net, newbits: i64, num: i64) -> Result<Net, FuncError> {
    if newbits < 0 {
        return Err(arg_err(1, "newbits must be non-negative"));
    }
    // go-cty-funcs limits one extension to 32 bits (32-bit portability).
    if newbits > 32 {
        return Err(arg_err(1, "may not extend prefix by more than 32 bits"));
    }
    let new_prefix = i64::from(net.prefix) + newbits;
    if new_prefix > i64::from(net.bits) {
        return Err(arg_err(
            1,
            format!(
                "insufficient address space to extend prefix of {} by {newbits}",
                net.prefix
            ),
        ));
    }
    let new_prefix = new_prefix as u32;
    if num < 0 || i128::from(num) >= pow2(newbits as u32) {
        return Err(arg_err(
            2,
            format!("prefix extension of {newbits} does not accommodate a subnet numbered {num}"),
        ));
    }
    let shift = net.bits - new_prefix;
    let offset = if shift >= 128 {
        0
    } else {
        (num as u128) << shift
    };
    Ok(Net {
        addr: net.addr | offset,
        prefix: new_prefix,
        bits: net.bits,
    })
}

pub fn cidrsubnet(_: &FuncCtx, a: &[Value]) -> R {
    let net = parse_cidr(&str_arg(a, 0)?, 0)?;
    Ok(string(subnet(&net, int_arg(a, 1)?, int_arg(a, 2)?)?.fmt()))
}

pub fn cidrsubnets(_: &FuncCtx, a: &[Value]) -> R {
    let net = parse_cidr(&str_arg(a, 0)?, 0)?;
    if a.len() == 1 {
        return Ok(Value::List(vec![]));
    }
    let mut out = Vec::new();
    let mut current: Option<Net> = None;
    for i in 1..a.len() {
        let newbits = int_arg(a, i)?;
        if newbits < 1 {
            return Err(arg_err(i, "must extend prefix by at least one bit"));
        }
        if newbits > 32 {
            return Err(arg_err(i, "may not extend prefix by more than 32 bits"));
        }
        let prefix = i64::from(net.prefix) + newbits;
        if prefix > i64::from(net.bits) {
            let v = if net.bits == 32 { 4 } else { 6 };
            return Err(arg_err(
                i,
                format!(
                    "would extend prefix to {prefix} bits, which is too long for an IPv{v} address"
                ),
            ));
        }
        let next = match current {
            None => subnet(&net, newbits, 0).map_err(|e| match e {
                FuncError::Argument { message, .. } => arg_err(i, message),
                other => other,
            })?,
            Some(cur) => {
                let prefix = prefix as u32;
                let probe = Net {
                    addr: 0,
                    prefix,
                    bits: net.bits,
                };
                let mask = probe.mask_for(prefix);
                let containing = Net {
                    addr: cur.last() & mask,
                    prefix,
                    bits: net.bits,
                };
                let (after, overflow) = containing.last().overflowing_add(1);
                let after = after & net.full();
                let candidate = Net {
                    addr: after & mask,
                    prefix,
                    bits: net.bits,
                };
                if overflow || after == 0 || (candidate.addr & net.mask_for(net.prefix)) != net.addr
                {
                    return Err(arg_err(i, format!("not enough remaining address space for a subnet with a prefix of {prefix} bits after {}", cur.fmt())));
                }
                candidate
            }
        };
        out.push(string(next.fmt()));
        current = Some(next);
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, l, n, s};
    use crate::template::functions::call;

    #[test]
    fn docs_examples() {
        assert_eq!(
            call_ok("cidrhost", &[s("10.12.112.0/20"), n(16.0)]),
            s("10.12.112.16")
        );
        assert_eq!(
            call_ok("cidrhost", &[s("10.12.112.0/20"), n(268.0)]),
            s("10.12.113.12")
        );
        assert_eq!(
            call_ok("cidrhost", &[s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)]),
            s("fd00:fd12:3456:7890::22")
        );
        assert_eq!(
            call_ok("cidrhost", &[s("10.0.0.0/24"), n(-1.0)]),
            s("10.0.0.255")
        );
        assert!(call("cidrhost", &ctx(), &[s("10.0.0.0/24"), n(256.0)]).is_err());
        assert_eq!(
            call_ok("cidrnetmask", &[s("172.16.0.0/12")]),
            s("255.240.0.0")
        );
        assert_eq!(
            call_ok("cidrsubnet", &[s("172.16.0.0/12"), n(4.0), n(2.0)]),
            s("172.18.0.0/16")
        );
        assert_eq!(
            call_ok("cidrsubnet", &[s("10.1.2.0/24"), n(4.0), n(15.0)]),
            s("10.1.2.240/28")
        );
        assert_eq!(
            call_ok(
                "cidrsubnet",
                &[s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)]
            ),
            s("fd00:fd12:3456:7800:a200::/72")
        );
        assert!(call("cidrsubnet", &ctx(), &[s("10.1.2.0/24"), n(4.0), n(16.0)]).is_err());
        assert!(call("cidrsubnet", &ctx(), &[s("10.1.2.0/24"), n(9.0), n(0.0)]).is_err());
        assert!(call("cidrsubnet", &ctx(), &[s("not-a-cidr"), n(1.0), n(0.0)]).is_err());
        assert_eq!(
            call_ok(
                "cidrsubnets",
                &[s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]
            ),
            l(vec![
                s("10.1.0.0/20"),
                s("10.1.16.0/20"),
                s("10.1.32.0/24"),
                s("10.1.48.0/20")
            ])
        );
        assert_eq!(
            call_ok(
                "cidrsubnets",
                &[
                    s("fd00:fd12:3456:7890::/56"),
                    n(16.0),
                    n(16.0),
                    n(16.0),
                    n(32.0)
                ]
            ),
            l(vec![
                s("fd00:fd12:3456:7800::/72"),
                s("fd00:fd12:3456:7800:100::/72"),
                s("fd00:fd12:3456:7800:200::/72"),
                s("fd00:fd12:3456:7800:300::/88")
            ])
        );
        assert_eq!(
            call_ok(
                "cidrsubnets",
                &[
                    s("10.0.0.0/21"),
                    n(3.0),
                    n(3.0),
                    n(3.0),
                    n(4.0),
                    n(4.0),
                    n(4.0),
                    n(7.0),
                    n(7.0),
                    n(7.0)
                ]
            ),
            l(vec![
                s("10.0.0.0/24"),
                s("10.0.1.0/24"),
                s("10.0.2.0/24"),
                s("10.0.3.0/25"),
                s("10.0.3.128/25"),
                s("10.0.4.0/25"),
                s("10.0.4.128/28"),
                s("10.0.4.144/28"),
                s("10.0.4.160/28")
            ])
        );
        let err = |args: &[crate::template::Value]| {
            call("cidrsubnets", &ctx(), args)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(&[s("10.0.0.0/30"), n(1.0), n(3.0)])
            .contains("would extend prefix to 33 bits, which is too long for an IPv4 address"));
        assert!(err(&[s("10.0.0.0/8"), n(1.0), n(1.0), n(1.0)]).contains("not enough remaining address space for a subnet with a prefix of 9 bits after 10.128.0.0/9"));
        assert!(err(&[s("10.0.0.0/8"), n(1.0), n(0.0)])
            .contains("must extend prefix by at least one bit"));
        assert!(err(&[s("fe80::/48"), n(1.0), n(33.0)])
            .contains("may not extend prefix by more than 32 bits"));
        assert_eq!(
            call_ok("cidrhost", &[s("192.168.1.0/24"), n(-256.0)]),
            s("192.168.1.0")
        );
        assert!(call("cidrhost", &ctx(), &[s("192.168.1.0/30"), n(-255.0)]).is_err());
        assert!(call("cidrhost", &ctx(), &[s("10.256.0.0/8"), n(6.0)]).is_err());
        assert!(call(
            "cidrsubnets",
            &ctx(),
            &[s("10.0.0.0/30"), n(1.0), n(1.0), n(1.0)]
        )
        .is_err());
    }
}
