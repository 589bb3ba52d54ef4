//! Parsing Apache's own dumps, on output recorded from Debian's apache2
//! 2.4.71 (tests/fixtures/apache/dumps), and comparing them with the model.

mod apache_support;

use portcullis::apache::crosscheck::{compare, parse_includes, parse_modules, parse_vhosts};

fn dump(name: &str) -> String {
    std::fs::read_to_string(apache_support::fixture("dumps").join(name)).expect("recorded dump")
}

#[test]
fn loaded_modules_lines_give_identifier_and_kind() {
    let modules = parse_modules(&dump("modules.txt"));
    assert_eq!(modules.len(), 33);
    assert_eq!(modules[0], ("core_module".to_owned(), true));
    assert!(modules.contains(&("security2_module".to_owned(), false)));
    assert!(modules.contains(&("evasive20_module".to_owned(), false)));
    assert_eq!(modules.iter().filter(|(_, is_static)| *is_static).count(), 8);
}

#[test]
fn name_based_vhosts_are_listed_once_per_address_and_file_line() {
    let vhosts = parse_vhosts(&dump("vhosts.txt"));
    let places: Vec<(String, String, u32)> = vhosts
        .iter()
        .map(|v| (v.address.clone(), v.file.rsplit('/').next().unwrap_or("").to_owned(), v.line))
        .collect();
    assert_eq!(
        places,
        [
            ("*:80".to_owned(), "000-default.conf".to_owned(), 1),
            ("*:80".to_owned(), "myproject.conf".to_owned(), 1),
            ("*:443".to_owned(), "default-ssl.conf".to_owned(), 1),
            ("*:443".to_owned(), "myproject.conf".to_owned(), 6),
        ]
    );
    assert_eq!(vhosts[1].name, "example.com");
}

#[test]
fn include_dump_gives_depth_and_including_line() {
    let includes = parse_includes(&dump("includes.txt"));
    assert_eq!(includes[0].depth, 0);
    assert_eq!(includes[0].line, None);
    assert!(includes[0].file.ends_with("/apache2.conf"));
    assert_eq!((includes[1].depth, includes[1].line), (1, Some(146)));
    let crs = includes.iter().find(|i| i.file.ends_with("owasp-crs.load")).expect("CRS load file");
    assert_eq!((crs.depth, crs.line), (2, Some(12)));
    let rules = includes.iter().filter(|i| i.file.contains("/modsecurity-crs/rules/")).count();
    assert!(rules > 20, "{rules}");
}

#[test]
fn a_model_of_another_tree_disagrees_on_everything() {
    let root = apache_support::tree(&[]);
    let cfg = apache_support::load(root.path());
    let disagreements =
        compare(&cfg, &dump("modules.txt"), &dump("vhosts.txt"), &dump("includes.txt"));
    assert!(
        disagreements.iter().any(|d| d.topic == "modules" && d.text.contains("security2_module"))
    );
    assert!(disagreements.iter().any(|d| d.topic == "vhosts"));
    assert!(disagreements.iter().any(|d| d.topic == "includes"));
}
