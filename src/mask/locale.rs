//! Which language and country fake values come from.

use std::fmt;

/// A locale the `fake` crate has data for. Spanish (`es`) is not among them: the crate ships no
/// Spanish data, and a made-up list would read worse than an honest error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    #[default]
    En,
    De,
    Fr,
    It,
    Nl,
    PtBr,
    PtPt,
    Ja,
    ZhCn,
    ZhTw,
    Ar,
    Tr,
}

const ALL: [(Locale, &str); 12] = [
    (Locale::En, "en"),
    (Locale::De, "de"),
    (Locale::Fr, "fr"),
    (Locale::It, "it"),
    (Locale::Nl, "nl"),
    (Locale::PtBr, "pt_BR"),
    (Locale::PtPt, "pt_PT"),
    (Locale::Ja, "ja"),
    (Locale::ZhCn, "zh_CN"),
    (Locale::ZhTw, "zh_TW"),
    (Locale::Ar, "ar"),
    (Locale::Tr, "tr"),
];

impl Locale {
    /// `de`, `de_DE`, `de-DE` and `DE` all name German; `pt` alone is Brazilian Portuguese.
    pub fn parse(text: &str) -> Result<Locale, String> {
        let norm = text.trim().replace('-', "_").to_ascii_lowercase();
        let found = match norm.as_str() {
            "en" | "en_us" | "en_gb" => Some(Locale::En),
            "de" | "de_de" | "de_at" | "de_ch" => Some(Locale::De),
            "fr" | "fr_fr" | "fr_be" | "fr_ch" => Some(Locale::Fr),
            "it" | "it_it" => Some(Locale::It),
            "nl" | "nl_nl" | "nl_be" => Some(Locale::Nl),
            "pt" | "pt_br" => Some(Locale::PtBr),
            "pt_pt" => Some(Locale::PtPt),
            "ja" | "ja_jp" => Some(Locale::Ja),
            "zh" | "zh_cn" => Some(Locale::ZhCn),
            "zh_tw" => Some(Locale::ZhTw),
            "ar" | "ar_sa" => Some(Locale::Ar),
            "tr" | "tr_tr" => Some(Locale::Tr),
            _ => None,
        };
        found.ok_or_else(|| {
            let names: Vec<&str> = ALL.iter().map(|(_, n)| *n).collect();
            let why = if norm.starts_with("es") { " (the fake crate has no Spanish data)" } else { "" };
            format!("unknown locale {text:?}{why}; available: {}", names.join(", "))
        })
    }

    pub fn name(self) -> &'static str {
        ALL.iter().find(|(l, _)| *l == self).map(|(_, n)| *n).expect("every locale is listed")
    }

    /// The ISO country whose formats (IBAN) go with this locale.
    pub fn country(self) -> &'static str {
        match self {
            Locale::En => "GB",
            Locale::De => "DE",
            Locale::Fr => "FR",
            Locale::It => "IT",
            Locale::Nl => "NL",
            Locale::PtBr => "BR",
            Locale::PtPt => "PT",
            Locale::Ja => "JP",
            Locale::ZhCn => "CN",
            Locale::ZhTw => "TW",
            Locale::Ar => "SA",
            Locale::Tr => "TR",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(Locale::parse("de-DE"), Ok(Locale::De));
        assert_eq!(Locale::parse("pt_BR"), Ok(Locale::PtBr));
        assert_eq!(Locale::parse("JA"), Ok(Locale::Ja));
        for (l, n) in ALL {
            assert_eq!(Locale::parse(n), Ok(l));
        }
        let err = Locale::parse("es").unwrap_err();
        assert!(err.contains("no Spanish data") && err.contains("pt_BR"), "{err}");
    }
}
