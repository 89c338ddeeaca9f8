//! The mask kinds: one table below gives each kind its config name, the options it takes, its
//! family and the README examples. The enum, the name list, the option check and the README's
//! kind table all follow from it, so a new kind is one line here plus its code in its family's
//! file under `mask/kinds/` (a new family: a new file and one arm per `Spec` method).

use std::fmt;

/// How a kind's values are made: each family's code is one file of `mask/kinds/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `null`, `keep`, `set`.
    Constant,
    /// Text from the `fake` crate in the rule's locale; e-mails and usernames with a keyed suffix.
    Text,
    /// A fixed structure drawn from the keyed hash (addresses, card numbers, IBANs, UUIDs).
    Generated,
    Hash,
    /// The input's text, partly replaced (`mask`, `regex`).
    Edit,
    /// Keyed draws from a range.
    Random,
    Noise,
    Template,
    Json,
}

/// An example for the README's kind table: (rule as written in YAML, column type, input).
pub type Example = (&'static str, &'static str, &'static str);

macro_rules! kinds {
    ($( $(#[$attr:meta])* $variant:ident = $name:literal, $family:ident, [$($option:literal),*],
        [$($example:expr),+ $(,)?]; )+) => {
        /// A mask kind as named in the config.
        #[derive(Clone, Copy, Debug, serde::Deserialize, PartialEq, Eq, Hash)]
        pub enum Kind {
            $( #[serde(rename = $name)] $(#[$attr])* $variant, )+
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),+];

            pub fn name(self) -> &'static str {
                match self { $(Kind::$variant => $name,)+ }
            }

            pub fn family(self) -> Family {
                match self { $(Kind::$variant => Family::$family,)+ }
            }

            /// The options this kind takes besides `kind` and `when`, by their YAML names.
            pub fn options(self) -> &'static [&'static str] {
                match self { $(Kind::$variant => &[$($option),*],)+ }
            }

            /// Rules of this kind as the README shows them, with a column type and an input.
            pub fn examples(self) -> &'static [Example] {
                match self { $(Kind::$variant => &[$($example),+],)+ }
            }
        }

        impl fmt::Display for Kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

kinds! {
    Email = "email", Text, ["locale", "domain"], [
        ("email", "varchar(60)", "jane.doe@corp.test"),
        ("{ kind: email, domain: corp.example, locale: de }", "varchar(60)", "jane.doe@corp.test"),
    ];
    FirstName = "first_name", Text, ["locale"], [("first_name", "text", "Jane")];
    LastName = "last_name", Text, ["locale"], [("last_name", "text", "Doe")];
    Name = "name", Text, ["locale"], [
        ("name", "text", "Jane Doe"),
        ("{ kind: name, locale: fr }", "text", "Jane Doe"),
        ("{ kind: name, locale: ja }", "text", "Jane Doe"),
    ];
    Phone = "phone", Text, ["locale"], [("phone", "text", "+1 555 0100")];
    StreetAddress = "street_address", Text, ["locale"], [("street_address", "text", "221B Baker Street")];
    City = "city", Text, ["locale"], [("city", "text", "London")];
    State = "state", Text, ["locale"], [("state", "text", "Greater London")];
    Zip = "zip", Text, ["locale"], [("zip", "text", "NW1 6XE")];
    Country = "country", Text, ["locale"], [("country", "text", "United Kingdom")];
    Company = "company", Text, ["locale"], [("company", "text", "Acme Ltd")];
    JobTitle = "job_title", Text, ["locale"], [("job_title", "text", "Detective")];
    Username = "username", Text, ["locale"], [("username", "varchar(40)", "jdoe")];
    Url = "url", Text, ["locale"], [("url", "text", "https://jane.example/blog")];
    Ipv4 = "ipv4", Generated, [], [("ipv4", "inet", "203.0.113.7")];
    Ipv6 = "ipv6", Generated, [], [("ipv6", "inet", "2a00:1450:4001::200e")];
    Mac = "mac", Generated, [], [("mac", "macaddr", "3c:22:fb:01:02:03")];
    CreditCard = "credit_card", Generated, [], [("credit_card", "varchar(19)", "4111111111111111")];
    Iban = "iban", Generated, ["locale", "country"], [
        ("iban", "varchar(34)", "GB82WEST12345698765432"),
        ("{ kind: iban, country: DE }", "varchar(34)", "GB82WEST12345698765432"),
    ];
    Uuid = "uuid", Generated, [], [("uuid", "uuid", "9f0c2a4e-8d1b-4b7a-9c3e-2f6d5a1b0c9d")];
    DateOfBirth = "date_of_birth", Random, ["min_age", "max_age"], [
        ("date_of_birth", "date", "1984-06-30"),
        ("{ kind: date_of_birth, min_age: 65, max_age: 80 }", "date", "1984-06-30"),
    ];
    LoremWords = "lorem_words", Text, ["locale"], [("lorem_words", "text", "private note")];
    #[serde(alias = "lorem")]
    LoremSentence = "lorem_sentence", Text, ["locale"], [("lorem_sentence", "text", "private note")];
    LoremParagraph = "lorem_paragraph", Text, ["locale"], [("lorem_paragraph", "text", "private note")];
    Hash = "hash", Hash, ["format", "length"], [
        ("hash", "text", "s3cr3t-pa55"),
        ("{ kind: hash, format: digits }", "char(11)", "123-45-6789"),
        ("{ kind: hash, length: 16 }", "text", "s3cr3t"),
        ("hash", "integer", "48213"),
    ];
    Mask = "mask", Edit, ["keep_first", "keep_last", "char"], [
        ("{ kind: mask, keep_last: 4 }", "text", "4111 1111 1111 1111"),
        ("{ kind: mask, keep_first: 1, char: '•' }", "text", "jane.doe@corp.test"),
    ];
    Null = "null", Constant, [], [("null", "text", "anything")];
    Set = "set", Constant, ["value"], [("{ kind: set, value: redacted }", "text", "anything")];
    Regex = "regex", Edit, ["pattern", "replacement"], [
        (r"{ kind: regex, pattern: '\d', replacement: '#' }", "text", "Flat 4B, 221 Baker St"),
    ];
    RandomInt = "random_int", Random, ["min", "max"], [("{ kind: random_int, min: 18, max: 99 }", "integer", "42")];
    RandomFloat = "random_float", Random, ["min", "max", "decimals"], [
        ("{ kind: random_float, min: 0, max: 5, decimals: 1 }", "numeric(2,1)", "4.2"),
    ];
    RandomDate = "random_date", Random, ["from", "to"], [
        ("{ kind: random_date, from: 2020-01-01, to: 2024-12-31 }", "date", "2023-03-14"),
    ];
    Noise = "noise", Noise, ["fraction", "duration", "distance"], [
        ("{ kind: noise, fraction: 0.1 }", "numeric(10,2)", "52000.00"),
        ("{ kind: noise, duration: 12h }", "timestamptz", "2024-05-01 09:30:00+00"),
        ("{ kind: noise, distance: 0.01 }", "point", "(2.3522,48.8566)"),
    ];
    Template = "template", Template, ["template"], [(
        "{ kind: template, template: '{first_name|lower}.{last_name|lower}@example.com' }",
        "text",
        "first_name = Ana, last_name = Lima",
    )];
    Json = "json", Json, ["paths"], [(
        "{ kind: json, paths: { '$.email': email, '$.tags[*]': { kind: mask, keep_first: 1 } } }",
        "jsonb",
        r#"{"email":"jane@corp.test","tags":["vip","beta"],"plan":"pro"}"#,
    )];
    Keep = "keep", Constant, [], [("keep", "any", "anything")];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_are_the_serde_names() {
        for &kind in Kind::ALL {
            let read: Kind = serde_saphyr::from_str(kind.name()).unwrap();
            assert_eq!(read, kind);
            assert!(kind.examples().iter().any(|(y, ..)| y.split([' ', ',', '{', '}']).any(|w| w == kind.name())));
        }
        assert_eq!(serde_saphyr::from_str::<Kind>("lorem").unwrap(), Kind::LoremSentence);
    }
}
