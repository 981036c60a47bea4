//! Unicode tables for RE2 translation at compile time (never in the
//! runtime wasm): `\p{..}` classes and simple case folding as Go 1.25's
//! `regexp/syntax` resolves them, over Unicode 15.0 (Go's `unicode`
//! package version; `regex-syntax` carries a newer version, so every set
//! is cut down to code points assigned by 15.0).

use std::sync::OnceLock;

use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange, HirKind};

use super::re2::{canonical_name, clip_surrogates, negate, normalize, Ranges, Re2Error, Tables};

/// General categories: Go's `unicode.Categories` keys.
const CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

/// Go's `unicode.CategoryAliases` (PropertyValueAliases.txt, `gc`).
const CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Other", "C"),
    ("Control", "Cc"),
    ("cntrl", "Cc"),
    ("Format", "Cf"),
    ("Unassigned", "Cn"),
    ("Private_Use", "Co"),
    ("Surrogate", "Cs"),
    ("Letter", "L"),
    ("Cased_Letter", "LC"),
    ("Lowercase_Letter", "Ll"),
    ("Modifier_Letter", "Lm"),
    ("Other_Letter", "Lo"),
    ("Titlecase_Letter", "Lt"),
    ("Uppercase_Letter", "Lu"),
    ("Mark", "M"),
    ("Combining_Mark", "M"),
    ("Spacing_Mark", "Mc"),
    ("Enclosing_Mark", "Me"),
    ("Nonspacing_Mark", "Mn"),
    ("Number", "N"),
    ("Decimal_Number", "Nd"),
    ("digit", "Nd"),
    ("Letter_Number", "Nl"),
    ("Other_Number", "No"),
    ("Punctuation", "P"),
    ("punct", "P"),
    ("Connector_Punctuation", "Pc"),
    ("Dash_Punctuation", "Pd"),
    ("Close_Punctuation", "Pe"),
    ("Final_Punctuation", "Pf"),
    ("Initial_Punctuation", "Pi"),
    ("Other_Punctuation", "Po"),
    ("Open_Punctuation", "Ps"),
    ("Symbol", "S"),
    ("Currency_Symbol", "Sc"),
    ("Modifier_Symbol", "Sk"),
    ("Math_Symbol", "Sm"),
    ("Other_Symbol", "So"),
    ("Separator", "Z"),
    ("Line_Separator", "Zl"),
    ("Paragraph_Separator", "Zp"),
    ("Space_Separator", "Zs"),
];

/// Unicode 15.0 scripts whose Go `unicode.Scripts` key is already in
/// canonical form: Go looks names up canonicalized, so `Old_Italic` and
/// the like are unreachable (checked against Cerbos 0.55).
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Carian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dogra",
    "Duployan",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Inherited",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kharoshthi",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Medefaidrin",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nandinagari",
    "Newa",
    "Nko",
    "Nushu",
    "Ogham",
    "Oriya",
    "Osage",
    "Osmanya",
    "Palmyrene",
    "Phoenician",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "Sinhala",
    "Sogdian",
    "Soyombo",
    "Sundanese",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Yezidi",
    "Yi",
];

/// Full Unicode 15.0 tables (compiler only).
#[derive(Debug, Clone, Copy, Default)]
pub struct UnicodeTables;

/// `regex-syntax`'s set for a property expression such as `gc=Lu`.
fn rs_class(expr: &str) -> Ranges {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&format!("\\p{{{expr}}}"));
    match hir.map(|h| h.into_kind()) {
        Ok(HirKind::Class(regex_syntax::hir::Class::Unicode(c))) => c
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        // INVARIANT: only called with property names regex-syntax knows;
        // an empty set would make a class match nothing, never more.
        _ => Vec::new(),
    }
}

fn intersect(a: &Ranges, b: &Ranges) -> Ranges {
    negate(&normalize(
        negate(a).into_iter().chain(negate(b)).collect::<Vec<_>>(),
    ))
}

fn union(a: &Ranges, b: &Ranges) -> Ranges {
    normalize(a.iter().chain(b.iter()).copied().collect())
}

/// Code points assigned by Unicode 15.0 (Age is cumulative in regex-syntax).
fn age15() -> &'static Ranges {
    static AGE: OnceLock<Ranges> = OnceLock::new();
    AGE.get_or_init(|| rs_class("age=15.0"))
}

/// Go's `Cn` over Unicode 15.0: unassigned now, or assigned only later.
fn unassigned15() -> Ranges {
    union(&rs_class("gc=Cn"), &negate(age15()))
}

fn category(short: &str) -> Ranges {
    match short {
        "Cn" => unassigned15(),
        // Go's `C` includes `Cn`.
        "C" => ["Cc", "Cf", "Cn", "Co", "Cs"]
            .iter()
            .fold(Vec::new(), |acc, c| union(&acc, &category(c))),
        _ => intersect(&rs_class(&format!("gc={short}")), age15()),
    }
}

impl Tables for UnicodeTables {
    fn property(&self, name: &str) -> Result<Ranges, Re2Error> {
        let canon = canonical_name(name);
        let found = match canon.as_str() {
            "Any" => Some(vec![(0, super::re2::MAX_CHAR)]),
            "Ascii" => Some(vec![(0, 0x7F)]),
            "Assigned" => Some(negate(&unassigned15())),
            "Lc" => Some(category("LC")),
            _ => None,
        }
        .or_else(|| {
            CATEGORIES
                .iter()
                .find(|c| **c == canon)
                .map(|c| category(c))
        })
        .or_else(|| {
            SCRIPTS
                .iter()
                .find(|s| **s == canon)
                .map(|s| intersect(&rs_class(&format!("sc={s}")), age15()))
        })
        .or_else(|| {
            CATEGORY_ALIASES
                .iter()
                .find(|(alias, _)| canonical_name(alias) == canon)
                .map(|(_, c)| category(c))
        });
        found.ok_or_else(|| {
            Re2Error::Syntax(format!("invalid character class range: `\\p{{{name}}}`"))
        })
    }

    fn fold(&self, set: &Ranges) -> Result<Ranges, Re2Error> {
        let mut class =
            ClassUnicode::new(clip_surrogates(set).into_iter().filter_map(|(lo, hi)| {
                Some(ClassUnicodeRange::new(
                    char::from_u32(lo)?,
                    char::from_u32(hi)?,
                ))
            }));
        class.case_fold_simple();
        let folded: Ranges = class
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect();
        // Additions must exist in Unicode 15.0; the set itself stays.
        Ok(union(set, &intersect(&folded, age15())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::re2::{compile_with, translate, AsciiTables};

    /// (pattern, input, RE2's answer; `None` = RE2 rejects the pattern).
    /// Every answer was obtained from Cerbos 0.55 (`"input".matches(pattern)`
    /// in `cerbos repl`), i.e. from Go's regexp.
    const MATCHES: &[(&str, &str, Option<bool>)] = &[
        ("^a.c$", "abc", Some(true)),
        ("^a.c$", "a\u{a}c", Some(false)),
        ("(?s)^a.c$", "a\u{a}c", Some(true)),
        ("(?s:.)", "\u{a}", Some(true)),
        ("^b$", "a\u{a}b", Some(false)),
        ("(?m)^b$", "a\u{a}b\u{a}c", Some(true)),
        ("(?m)a$", "a\u{a}", Some(true)),
        ("a$", "a\u{a}", Some(false)),
        ("(?m:^)c", "ab\u{a}c", Some(true)),
        ("\\Aab\\z", "ab", Some(true)),
        ("\\Ab", "ab", Some(false)),
        ("a\\z", "a\u{a}", Some(false)),
        ("^\\Qa.b*\\E$", "a.b*", Some(true)),
        ("^\\Qa.b*\\E$", "axbb", Some(false)),
        ("^\\Qa.b", "a.b", Some(true)),
        ("^\\Qab\\E+$", "abbb", Some(true)),
        ("^(?P<x>a)(?<y>b)$", "ab", Some(true)),
        ("(?P<1>a)", "a", Some(true)),
        ("^a*?$", "aaa", Some(true)),
        ("(?U)^a+$", "aaa", Some(true)),
        ("\\d", "\u{663}", Some(false)),
        ("\\d", "7", Some(true)),
        ("\\w", "\u{e9}", Some(false)),
        ("\\w", "_", Some(true)),
        ("\\s", "\u{b}", Some(false)),
        ("\\s", "\u{a0}", Some(false)),
        ("\\s", "\u{c}", Some(true)),
        ("[[:space:]]", "\u{b}", Some(true)),
        ("[[:alpha:]]", "\u{e9}", Some(false)),
        ("[[:^alpha:]]", "\u{e9}", Some(true)),
        ("[[:word:]]", "_", Some(true)),
        ("[[:punct:]]", "`", Some(true)),
        ("\\bfoo\\b", "\u{e9}foo\u{e9}", Some(true)),
        ("\\bfoo\\b", "a foo b", Some(true)),
        ("\\Bfoo", "xfoo", Some(true)),
        ("^\\pL+$", "h\u{e9}llo", Some(true)),
        ("^\\p{Greek}+$", "\u{3b1}\u{3b2}\u{3b3}", Some(true)),
        ("^\\p{Greek}+$", "abc", Some(false)),
        ("\\p{Lu}", "\u{c9}", Some(true)),
        ("\\P{L}", "\u{e9}", Some(false)),
        ("^\\p{^Greek}$", "a", Some(true)),
        ("^[\\p{Greek}\\d]+$", "\u{3b1}1\u{3b2}2", Some(true)),
        ("^\\p{Han}$", "\u{6f22}", Some(true)),
        (
            "^\\p{Cyrillic}+$",
            "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}",
            Some(true),
        ),
        ("\\p{Letter}", "a", Some(true)),
        ("\\p{lowercase_letter}", "A", Some(false)),
        ("\\p{N}", "\u{663}", Some(true)),
        ("\\p{Nd}", "\u{2167}", Some(false)),
        ("\\p{Nl}", "\u{2167}", Some(true)),
        ("\\p{Any}", "\u{a}", Some(true)),
        ("^\\p{ASCII}+$", "abc~", Some(true)),
        ("\\p{ASCII}", "\u{e9}", Some(false)),
        ("\\p{Assigned}", "a", Some(true)),
        ("\\p{Cn}", "\u{e0080}", Some(true)),
        ("\\p{C}", "\u{7}", Some(true)),
        ("\\p{L}", "\u{1e5d0}", Some(false)),
        ("\\p{Zs}", "\u{a0}", Some(true)),
        ("\\p{Sc}", "\u{20ac}", Some(true)),
        ("\\p{P}", "!", Some(true)),
        ("(?i)^stra\u{df}e$", "STRASSE", Some(false)),
        ("(?i)^\u{e9}$", "\u{c9}", Some(true)),
        ("(?i)k", "\u{212a}", Some(true)),
        ("(?i)s", "\u{17f}", Some(true)),
        ("(?i)[a-z]", "\u{212a}", Some(true)),
        ("(?i)[^k]", "\u{212a}", Some(false)),
        ("(?i)\\w", "\u{212a}", Some(true)),
        ("(?i)\\W", "\u{212a}", Some(false)),
        ("(?i)\u{3c3}", "\u{3a3}", Some(true)),
        ("(?i)\u{3c3}", "\u{3c2}", Some(true)),
        ("(?i)\u{1c6}", "\u{1c5}", Some(true)),
        ("(?i)\\p{Lu}", "a", Some(true)),
        ("(?i)\\P{Lu}", "A", Some(false)),
        ("(?i)[[:upper:]]", "a", Some(true)),
        ("(?i)[[:^upper:]]", "a", Some(false)),
        ("(?i:A)b", "aB", Some(false)),
        ("(?i:A)b", "ab", Some(true)),
        ("(?i)a(?-i)b", "AB", Some(false)),
        ("(?i)a(?-i)b", "Ab", Some(true)),
        ("((?i)a)b", "AB", Some(false)),
        ("(?i)\u{3a9}", "\u{3c9}", Some(true)),
        ("(?i)\u{3a9}", "\u{2126}", Some(true)),
        ("^a{2}$", "aa", Some(true)),
        ("^a{2,}$", "aaaaa", Some(true)),
        ("^a{1,2}$", "aaa", Some(false)),
        ("^a{,2}$", "a{,2}", Some(true)),
        ("^a{02}$", "a{02}", Some(true)),
        ("^{$", "{", Some(true)),
        ("^a{$", "a{", Some(true)),
        ("^x{1}{$", "x{", Some(true)),
        ("^a{2}?$", "aa", Some(true)),
        ("^(a{1000})$", "a", Some(false)),
        ("^\\x41\\x{42}\\101$", "ABA", Some(true)),
        ("^\\0$", "\u{0}", Some(true)),
        ("^\\12$", "\u{a}", Some(true)),
        ("^\\_\\<\\>$", "_<>", Some(true)),
        ("^[]a]+$", "]a]", Some(true)),
        ("^[^]a]$", "b", Some(true)),
        ("^[a-]+$", "a-", Some(true)),
        ("^[a[b]+$", "a[b", Some(true)),
        ("^[a&&b]+$", "a&b", Some(true)),
        ("^[a--b]+$", "-ab", None),
        ("^[~~]$", "~", Some(true)),
        ("^[\\x{10000}-\\x{10FFFF}]$", "\u{1f600}", Some(true)),
        ("^.$", "\u{1f600}", Some(true)),
        ("^[^a]$", "\u{a}", Some(true)),
        ("^(a|)$", "", Some(true)),
        ("^(|a)+$", "aa", Some(true)),
        ("^*a", "a", Some(true)),
        ("\\b+", "a", Some(true)),
        ("(a*)*", "b", Some(true)),
        ("a*(?i)*", "b", Some(true)),
        ("^#a$", "#a", Some(true)),
        ("^a b$", "a b", Some(true)),
        ("^a\\ b$", "a b", Some(true)),
        ("^\\#$", "#", Some(true)),
        ("^\\-\\&\\~$", "-&~", Some(true)),
        ("^[\\d-z]+$", "1-z", Some(true)),
        ("^[\\s]+$", " \u{9}", Some(true)),
        ("^[\\S]+$", "ab", Some(true)),
        ("^[^\\D]$", "5", Some(true)),
        ("\\b{start}", "a", Some(false)),
        ("\\Q", "a", Some(true)),
        ("(?)a", "a", Some(true)),
        ("(?:)", "a", Some(true)),
    ];

    /// Patterns Cerbos 0.55 rejects as `matches` arguments.
    const REJECTED: &[&str] = &[
        "a**",
        "a*+",
        "a{2}{3}",
        "(a{10}){101}",
        "a{1001}",
        "a{2,1}",
        "\\1",
        "\\8",
        "\\C",
        "\\Z",
        "\\e",
        "\\u0041",
        "(?=a)",
        "(?!a)",
        "(?<=a)",
        "(?<!a)",
        "(?P=n)",
        "(?x)a",
        "(?R)a",
        "(?-)a",
        "(?i-)a",
        "(?<>a)",
        "(?P<a-b>x)",
        "\\p{Grek}",
        "\\p{Old_Italic}",
        "\\p{isGreek}",
        "\\p{sc=Greek}",
        "\\p{White_Space}",
        "\\pX",
        "[a",
        "a)",
        "(a",
        "[z-a]",
        "[[:foo:]]",
        "\\x",
        "\\x{110000}",
        "\\x{}",
        "\\xZZ",
        "*a",
        "(*a)",
        "a|*",
        "\\E",
        "[\\b]",
        "(?P<n>a",
        "(?i)(?",
        "[\\Q]\\E]",
        "\\p{Garay}",
        "\\p{L",
        "a\\",
    ];

    #[test]
    fn matches_like_re2() {
        for &(pattern, input, want) in MATCHES {
            let got = compile_with(pattern, &UnicodeTables).map(|c| c.re.is_match(input));
            match want {
                Some(w) => assert_eq!(got, Ok(w), "{pattern:?} on {input:?}"),
                None => assert!(got.is_err(), "{pattern:?} should be rejected"),
            }
            let Some(w) = want else { continue };
            // The translation is RE2 with the same meaning: translating it
            // again (as the runtime does, without Unicode tables) agrees.
            let t = translate(pattern, &UnicodeTables).expect("translates");
            let again = compile_with(&t.pattern, &AsciiTables)
                .unwrap_or_else(|e| panic!("{pattern:?} → {:?}: {e}", t.pattern));
            assert_eq!(again.re.is_match(input), w, "{pattern:?} → {:?}", t.pattern);
            // Without Unicode tables a pattern either means the same or is refused.
            match compile_with(pattern, &AsciiTables) {
                Ok(c) => assert_eq!(c.re.is_match(input), w, "{pattern:?} (runtime)"),
                Err(e) => assert!(matches!(e, Re2Error::NeedsUnicode(_)), "{pattern:?}: {e}"),
            }
        }
    }

    #[test]
    fn rejects_like_re2() {
        for p in REJECTED {
            let got = compile_with(p, &UnicodeTables);
            assert!(
                matches!(got, Err(Re2Error::Syntax(_))),
                "{p:?} should be a syntax error, got {:?}",
                got.map(|c| c.re.as_str().to_string())
            );
        }
    }

    #[test]
    fn runtime_names_what_it_cannot_do() {
        let e = compile_with(r"\p{Greek}", &AsciiTables).err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("regexp needs Unicode tables not available at run time: \\p{Greek}".into())
        );
        let e = compile_with("(?i)é", &AsciiTables).err();
        assert!(matches!(e, Some(Re2Error::NeedsUnicode(_))));
        // ASCII folding, including RE2's K/ſ, needs no tables.
        let c = compile_with("(?i)^ks$", &AsciiTables).expect("ascii fold");
        assert!(c.re.is_match("\u{212a}\u{17f}"));
    }
}
