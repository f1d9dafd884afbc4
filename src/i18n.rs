//! Message catalogues: every fixed phrase Gavel writes, in English and Welsh.
//!
//! The catalogues are Project Fluent files under `locales/`, compiled into the binary. Code
//! asks for a message by key with [`tr!`](crate::tr); a council's [`Language`] says whether
//! residents read English, Welsh, or both (`en+cy`: English first, then Welsh).
//!
//! Fluent's bidi isolation marks are switched off: Gavel's own text never mixes directions and
//! the command parser rejects bidi controls in clerks' text.

use std::borrow::Cow;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// One catalogue language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    En,
    Cy,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Cy];

    /// The BCP 47 code (`lang` attributes, exports' language fields).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Cy => "cy",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../locales/en/gavel.ftl"),
            Lang::Cy => include_str!("../locales/cy/gavel.ftl"),
        }
    }
}

/// What a council publishes in: `language = "en" | "cy" | "en+cy"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    En,
    Cy,
    EnCy,
}

impl Language {
    /// The catalogue languages, in the order they are shown.
    pub fn langs(self) -> &'static [Lang] {
        match self {
            Language::En => &[Lang::En],
            Language::Cy => &[Lang::Cy],
            Language::EnCy => &[Lang::En, Lang::Cy],
        }
    }

    /// The first language shown (the page's `lang`, the clerk's replies' first line).
    pub fn primary(self) -> Lang {
        self.langs()[0]
    }

    /// `f` in each language, joined with `sep` (`en+cy` shows both; duplicates collapse, so a
    /// phrase with nothing to translate, such as a clerk's own note, is shown once).
    pub fn each(self, sep: &str, mut f: impl FnMut(Lang) -> String) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(2);
        for &l in self.langs() {
            let s = f(l);
            if !parts.contains(&s) {
                parts.push(s);
            }
        }
        parts.join(sep)
    }
}

/// A value for a message's `{ $placeable }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg<'a> {
    Text(Cow<'a, str>),
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(Cow::Borrowed(s.as_str()))
    }
}
impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}
macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            fn from(n: $t) -> Self {
                Arg::Number(n as i64)
            }
        }
    )*};
}
number_arg!(u8, u16, u32, u64, usize, i32, i64);

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
}

static CATALOGUES: LazyLock<[Catalogue; 2]> = LazyLock::new(|| Lang::ALL.map(load));

fn load(lang: Lang) -> Catalogue {
    // The catalogues are part of the binary; `catalogues_parse` in the tests keeps them valid.
    let resource = match FluentResource::try_new(lang.source().to_string()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!(lang = lang.code(), ?errors, "message catalogue has errors");
            r
        }
    };
    let id: LanguageIdentifier = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = lang.code(),
            ?errors,
            "message catalogue has duplicate keys"
        );
    }
    Catalogue { bundle }
}

/// The message `key` in `lang`, with `args` filled in. A missing key (which the catalogue tests
/// prevent) yields the key itself, so nothing is silently blank.
pub fn message(lang: Lang, key: &str, args: &[(&str, Arg<'_>)]) -> String {
    let cat = &CATALOGUES[lang as usize];
    let Some(pattern) = cat.bundle.get_message(key).and_then(|m| m.value()) else {
        tracing::error!(lang = lang.code(), key, "message missing from catalogue");
        return key.to_string();
    };
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Text(s) => fargs.set(*name, FluentValue::from(s.as_ref())),
            Arg::Number(n) => fargs.set(*name, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    let out = cat
        .bundle
        .format_pattern(pattern, Some(&fargs), &mut errors);
    if !errors.is_empty() {
        tracing::error!(
            lang = lang.code(),
            key,
            ?errors,
            "message could not be formatted"
        );
    }
    out.into_owned()
}

/// Every message key in `lang`'s catalogue.
pub fn keys(lang: Lang) -> Vec<String> {
    let resource = FluentResource::try_new(lang.source().to_string()).unwrap_or_else(|(r, _)| r);
    resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

/// `tr!(lang, "key", name = value, ...)`: the message `key` in `lang` (a [`Lang`]).
#[macro_export]
macro_rules! tr {
    ($lang:expr, $key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::message(
            $lang,
            $key,
            &[$((stringify!($name), $crate::i18n::Arg::from($value))),*],
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast;
    use std::collections::BTreeSet;

    #[test]
    fn catalogues_parse() {
        for lang in Lang::ALL {
            if let Err((_, errors)) = FluentResource::try_new(lang.source().to_string()) {
                panic!("{} catalogue does not parse: {errors:?}", lang.code());
            }
        }
    }

    #[test]
    fn english_and_welsh_have_the_same_keys() {
        let en: BTreeSet<String> = keys(Lang::En).into_iter().collect();
        let cy: BTreeSet<String> = keys(Lang::Cy).into_iter().collect();
        let missing_cy: Vec<_> = en.difference(&cy).collect();
        let missing_en: Vec<_> = cy.difference(&en).collect();
        assert!(
            missing_cy.is_empty() && missing_en.is_empty(),
            "missing in cy: {missing_cy:?}; missing in en: {missing_en:?}"
        );
    }

    /// Every `tr!(…, "key"` in the source (but this file's examples) names a key the
    /// catalogues have.
    #[test]
    fn every_key_used_in_the_source_exists() {
        let en: BTreeSet<String> = keys(Lang::En).into_iter().collect();
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("read src") {
                let p = e.expect("dir entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("i18n.rs") {
                    let text = std::fs::read_to_string(&p).expect("read source");
                    for key in used_keys(&text) {
                        if !en.contains(&key) {
                            missing.push(format!("{}: {key}", p.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogues: {missing:?}"
        );
    }

    /// The string literal after `tr!(<expr>, ` in each use of the macro, and the key each
    /// `ParseError::new("…"` names (refusals are rendered later, in the clerk's language).
    fn used_keys(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in text.match_indices("ParseError::new(\"") {
            let rest = &text[i + "ParseError::new(\"".len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_string());
            }
        }
        for (i, _) in text.match_indices("tr!(") {
            let rest = &text[i + 4..];
            let Some(q) = rest.find('"') else { continue };
            // The language expression comes first and has no string literal in it.
            if rest[..q].contains(')') && !rest[..q].contains(',') {
                continue;
            }
            let after = &rest[q + 1..];
            if let Some(end) = after.find('"') {
                let key = &after[..end];
                if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !key.is_empty() {
                    out.push(key.to_string());
                }
            }
        }
        out
    }

    #[test]
    fn en_cy_shows_both_and_collapses_identical_text() {
        assert_eq!(
            Language::EnCy.each("\n", |l| l.code().to_string()),
            "en\ncy"
        );
        assert_eq!(Language::EnCy.each("\n", |_| "same".into()), "same");
        assert_eq!(Language::Cy.each("\n", |l| l.code().to_string()), "cy");
    }

    #[test]
    fn placeables_are_filled_without_isolation_marks() {
        let s = crate::tr!(Lang::En, "meeting-started", title = "Full Council");
        assert_eq!(s, "Meeting started: Full Council");
        let c = crate::tr!(Lang::Cy, "meeting-started", title = "Cyngor Llawn");
        assert_eq!(c, "Cyfarfod wedi dechrau: Cyngor Llawn");
    }

    /// The `$variables` a pattern uses, including selectors and inside variants.
    fn variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }

    fn expression_variables(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            ast::Expression::Inline(i) => inline_variables(i, out),
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, out);
                for v in variants {
                    variables(&v.value, out);
                }
            }
        }
    }

    fn inline_variables(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match i {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, out)
            }
            _ => {}
        }
    }

    /// Each message of `lang`'s catalogue with the variables it uses.
    fn messages_with_variables(lang: Lang) -> Vec<(String, BTreeSet<String>)> {
        let resource = ast_of(lang);
        resource
            .body
            .iter()
            .filter_map(|e| match e {
                ast::Entry::Message(m) => {
                    let mut vars = BTreeSet::new();
                    if let Some(p) = &m.value {
                        variables(p, &mut vars);
                    }
                    Some((m.id.name.to_string(), vars))
                }
                _ => None,
            })
            .collect()
    }

    fn ast_of(lang: Lang) -> ast::Resource<&'static str> {
        fluent_syntax::parser::parse(lang.source()).unwrap_or_else(|(r, _)| r)
    }

    /// Formats `key` with `args`, returning Fluent's errors instead of logging them.
    fn format_strictly(lang: Lang, key: &str, args: &FluentArgs) -> Result<String, String> {
        let cat = &CATALOGUES[lang as usize];
        let pattern = cat
            .bundle
            .get_message(key)
            .and_then(|m| m.value())
            .ok_or_else(|| format!("{key} has no value"))?;
        let mut errors = Vec::new();
        let out = cat.bundle.format_pattern(pattern, Some(args), &mut errors);
        if errors.is_empty() {
            Ok(out.into_owned())
        } else {
            Err(format!("{key}: {errors:?}"))
        }
    }

    /// Every message formats in both languages without Fluent errors, given a number and a
    /// text for each variable it uses, and both languages' messages use the same variables
    /// (a translation that drops `{ $time }` would silently lose the time).
    #[test]
    fn every_message_formats_in_both_languages_with_its_variables() {
        let en: std::collections::BTreeMap<_, _> =
            messages_with_variables(Lang::En).into_iter().collect();
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            for (key, vars) in messages_with_variables(lang) {
                if en.get(&key) != Some(&vars) {
                    problems.push(format!(
                        "{}: {key} uses {vars:?}, English uses {:?}",
                        lang.code(),
                        en.get(&key)
                    ));
                }
                for sample in [FluentValue::from(2), FluentValue::from("x")] {
                    let mut args = FluentArgs::new();
                    for v in &vars {
                        args.set(v.clone(), sample.clone());
                    }
                    if let Err(e) = format_strictly(lang, &key, &args) {
                        problems.push(format!("{}: {e}", lang.code()));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Messages whose Welsh is rightly the same as the English: date and time layouts with
    /// nothing to translate, and `verb-usage`, whose default variant (`!now`) is a command
    /// word, which stays English by design (its other variants translate their placeholders).
    const SAME_IN_WELSH: &[&str] = &[
        "date-long",
        "date-weekday-long",
        "web-date-time",
        "verb-usage",
    ];

    /// A Welsh message identical to the English one is almost always an untranslated copy.
    #[test]
    fn welsh_messages_are_translated() {
        let mut untranslated = Vec::new();
        for key in keys(Lang::En) {
            if SAME_IN_WELSH.contains(&key.as_str()) {
                continue;
            }
            let mut args = FluentArgs::new();
            if let Some((_, vars)) = messages_with_variables(Lang::En)
                .into_iter()
                .find(|(k, _)| *k == key)
            {
                for v in vars {
                    args.set(v, FluentValue::from(2));
                }
            }
            let en = format_strictly(Lang::En, &key, &args);
            let cy = format_strictly(Lang::Cy, &key, &args);
            if en == cy {
                untranslated.push(key);
            }
        }
        assert!(
            untranslated.is_empty(),
            "Welsh identical to English: {untranslated:?}"
        );
    }

    /// Selectors on text (`$verb`, `$kind`, `$format`) have a variant for every value the code
    /// passes: a missing one would silently fall back to the default variant.
    #[test]
    fn text_selectors_cover_every_value_the_code_passes() {
        use crate::domain::EntryKind;
        use crate::export::Format;
        let verbs: Vec<&str> = crate::command::VERBS.iter().map(|h| h.verb).collect();
        let kinds: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
        let formats: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        let cases: [(&str, &str, &[&str]); 4] = [
            ("verb-about", "verb", &verbs),
            ("verb-usage", "verb", &verbs),
            ("web-kind", "kind", &kinds),
            ("web-format", "format", &formats),
        ];
        for lang in Lang::ALL {
            for (key, var, values) in cases {
                let texts: BTreeSet<String> = values
                    .iter()
                    .map(|v| message(lang, key, &[(var, Arg::from(*v))]))
                    .collect();
                assert_eq!(
                    texts.len(),
                    values.len(),
                    "{} {key}: some {var} values share a variant",
                    lang.code()
                );
            }
        }
    }
}
