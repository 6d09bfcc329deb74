//! docs/language.md stays true: every declaration kind has its section, and every property
//! the checker accepts of a kind is in that section's table (`| \`key\` |`), so that the
//! reference `ward explain E0200` points to lists exactly what the checker takes.

use ward_compiler::schema::spec;
use ward_lang::ast::DeclKind;

#[test]
fn every_property_of_every_kind_is_in_the_reference() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/language.md"),
    )
    .expect("docs/language.md");
    for kind in DeclKind::ALL {
        let heading = format!("\n### {}\n", kind.keyword());
        let start = text
            .find(&heading)
            .unwrap_or_else(|| panic!("no section `### {}`", kind.keyword()));
        let rest = &text[start + heading.len()..];
        let section = &rest[..rest.find("\n### ").unwrap_or(rest.len())];
        for property in spec(kind).properties {
            assert!(
                section.contains(&format!("| `{}` |", property.key)),
                "`{}` of {} is not in its section of docs/language.md",
                property.key,
                kind.keyword()
            );
        }
        // And nothing the checker does not take.
        for line in section.lines().filter(|l| l.starts_with("| `")) {
            let key = line
                .trim_start_matches("| `")
                .split('`')
                .next()
                .unwrap_or_default();
            assert!(
                spec(kind).property(key).is_some(),
                "docs/language.md lists `{key}` for {}, which the checker does not take",
                kind.keyword()
            );
        }
    }
}

#[test]
fn explanations_point_to_a_reference_that_exists() {
    for code in ward_compiler::codes::ALL {
        assert!(
            !code.explanation.contains("language reference in README.md"),
            "{} points to a README section that does not exist",
            code.code
        );
    }
}
