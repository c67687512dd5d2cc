//! Tag changes, where the files manage tags.

use super::*;

pub(super) fn tag_changes(desired: &Budget, live: &Budget) -> Vec<TagChange> {
    let Some(want) = &desired.tags else {
        return Vec::new();
    };
    let empty = BTreeMap::new();
    let have = live.tags.as_ref().unwrap_or(&empty);
    let keys: BTreeSet<&String> = want.keys().chain(have.keys()).collect();
    keys.into_iter()
        .filter(|k| want.get(*k) != have.get(*k))
        .map(|k| TagChange {
            key: k.clone(),
            before: have.get(k).cloned(),
            after: want.get(k).cloned(),
        })
        .collect()
}
