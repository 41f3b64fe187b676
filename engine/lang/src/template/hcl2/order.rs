//! Dependency ordering for `locals` and `data` blocks: a depth-first
//! topological sort that reports each cycle with its chain
//! (`local.a → local.b → local.a`).

use std::collections::BTreeMap;

/// A cycle found while ordering: the chain of names, first repeated last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(pub Vec<String>);

impl Cycle {
    /// The cycle as shown in messages: `a → b → a`.
    pub fn chain(&self) -> String {
        self.0.join(" → ")
    }
}

/// Order `deps` (name → names it depends on; unknown names are ignored)
/// so that every item comes after its dependencies. Items on a cycle are
/// left out and the cycles are returned.
pub fn topo_order(
    deps: &BTreeMap<String, Vec<String>>,
    keys_in_order: &[String],
) -> (Vec<String>, Vec<Cycle>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
        Broken,
    }
    let mut marks: BTreeMap<&str, Mark> = deps.keys().map(|k| (k.as_str(), Mark::New)).collect();
    let mut order = Vec::new();
    let mut cycles = Vec::new();
    for start in keys_in_order {
        if marks.get(start.as_str()) != Some(&Mark::New) {
            continue;
        }
        // Iterative DFS: (node, next dependency index).
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        marks.insert(start.as_str(), Mark::Active);
        while let Some(&mut (node, ref mut idx)) = stack.last_mut() {
            let node_deps = deps.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(dep) = node_deps.get(*idx) {
                *idx += 1;
                match marks.get(dep.as_str()).copied() {
                    Some(Mark::New) => {
                        marks.insert(dep.as_str(), Mark::Active);
                        stack.push((dep.as_str(), 0));
                    }
                    Some(Mark::Active) => {
                        let pos = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut chain: Vec<String> =
                            stack[pos..].iter().map(|(n, _)| n.to_string()).collect();
                        chain.push(dep.clone());
                        for (n, _) in &stack[pos..] {
                            marks.insert(n, Mark::Broken);
                        }
                        cycles.push(Cycle(chain));
                    }
                    Some(Mark::Broken) => {
                        marks.insert(node, Mark::Broken);
                    }
                    _ => {}
                }
            } else {
                stack.pop();
                if marks.get(node) == Some(&Mark::Active) {
                    marks.insert(node, Mark::Done);
                    order.push(node.to_string());
                } else if let Some((parent, _)) = stack.last() {
                    // A dependency on a cycle breaks its dependents too.
                    marks.insert(parent, Mark::Broken);
                }
            }
        }
    }
    (order, cycles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(v: &[(&str, &[&str])]) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
        let m = v
            .iter()
            .map(|(k, ds)| (k.to_string(), ds.iter().map(|d| d.to_string()).collect()))
            .collect();
        (m, v.iter().map(|(k, _)| k.to_string()).collect())
    }

    #[test]
    fn orders_dependencies_first() {
        let (m, keys) = deps(&[("a", &["b"]), ("b", &["c"]), ("c", &[])]);
        let (order, cycles) = topo_order(&m, &keys);
        assert_eq!(order, ["c", "b", "a"]);
        assert!(cycles.is_empty());
    }

    #[test]
    fn reports_cycle_chain() {
        let (m, keys) = deps(&[("a", &["b"]), ("b", &["a"]), ("c", &["a"]), ("d", &[])]);
        let (order, cycles) = topo_order(&m, &keys);
        assert_eq!(order, ["d"]);
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].chain(), "a → b → a");
    }

    #[test]
    fn self_reference_is_a_cycle() {
        let (m, keys) = deps(&[("a", &["a"])]);
        let (_, cycles) = topo_order(&m, &keys);
        assert_eq!(cycles[0].chain(), "a → a");
    }
}
