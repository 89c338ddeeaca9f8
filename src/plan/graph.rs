//! Cycles in a graph of tables (foreign keys, subset edges), found the simple way: the graphs
//! are a schema's tables, so reachability from each node is cheap enough.

use std::collections::BTreeSet;

/// The groups of nodes on a cycle together (each reaches every other through `edges`, given as
/// `(from, to)` among `nodes`), smallest group first, each in `nodes`' order. A node with an
/// edge to itself is a group of one; other single nodes are not on a cycle.
pub fn cycles(nodes: &[usize], edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let inside = |n: usize| nodes.contains(&n);
    let reach = |from: usize| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for &(_, to) in edges.iter().filter(|&&(f, to)| f == n && inside(to)) {
                if seen.insert(to) {
                    todo.push(to);
                }
            }
        }
        seen
    };
    let reaches: Vec<BTreeSet<usize>> = nodes.iter().map(|&n| reach(n)).collect();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, &n) in nodes.iter().enumerate() {
        if !reaches[i].contains(&n) || out.iter().any(|c| c.contains(&n)) {
            continue;
        }
        let group = nodes.iter().enumerate().filter(|&(j, &m)| reaches[i].contains(&m) && reaches[j].contains(&n));
        out.push(group.map(|(_, &m)| m).collect());
    }
    out.sort_by_key(Vec::len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_of_a_cycle_a_self_reference_and_a_chain() {
        // 0 ↔ 1, 2 → 2, 3 → 0 (a child of the cycle, not on it), 4 → 5 → 6 → 4.
        let edges = [(0, 1), (1, 0), (2, 2), (3, 0), (4, 5), (5, 6), (6, 4)];
        assert_eq!(cycles(&[0, 1, 2, 3, 4, 5, 6], &edges), vec![vec![2], vec![0, 1], vec![4, 5, 6]]);
        assert_eq!(cycles(&[3, 4, 5], &edges), Vec::<Vec<usize>>::new(), "6 is not among the nodes");
    }
}
