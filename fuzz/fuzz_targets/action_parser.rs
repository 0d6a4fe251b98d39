//! Fuzzes action name parsing and the catalogue's parent rule: no panic, accepted names
//! are lowercase and re-parse to themselves, and a catalogue built from arbitrary names
//! never has a parent cycle.
#![no_main]

use iam_core::action::{ActionCatalog, ActionName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|names: Vec<&str>| {
    let mut builder = ActionCatalog::builder();
    for text in &names {
        if let Ok(name) = ActionName::parse("action", text) {
            assert_eq!(name.as_str(), text.to_ascii_lowercase());
            assert!(name.as_str().len() <= iam_core::action::MAX_ACTION_LEN);
            let again = ActionName::parse("action", name.as_str());
            assert_eq!(again.ok().as_ref(), Some(&name));
        }
        builder = builder.action(*text, "fuzzed", None::<String>);
    }
    if let Ok(catalog) = builder.build() {
        for definition in catalog.list("") {
            let ancestors = catalog.ancestors(&definition.name);
            assert!(!ancestors.contains(&definition.name), "an action must not be its own ancestor");
            for ancestor in ancestors {
                assert!(catalog.covers(ancestor, &definition.name));
            }
        }
    }
});
