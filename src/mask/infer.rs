//! The mask kind for a column listed in the short form (`users: email,name`), from its name and
//! type. `dbtwin copy` prints the choice in its plan so nothing is guessed silently.

use super::kind::Kind;
use super::kinds::Spec;
use super::masker::Masker;
use super::rule::{FullRule, Rule};
use super::spec::{self, RuleSpec};
use crate::data::forms::BinaryText;
use crate::schema::{Column, TypeClass};

/// The kind the short form gives `column`: a personal-data kind its name suggests, else a keyed
/// hash; `None` when not even a hash fits the type (the user must then name a rule).
pub fn infer(column: &Column) -> Option<Kind> {
    let fits = |k: Kind| Spec::default_for(k).is_ok_and(|spec| Masker::new(&spec, column, BinaryText::Raw).is_ok());
    by_name(column).filter(|&k| fits(k)).or_else(|| fits(Kind::Hash).then_some(Kind::Hash))
}

/// A rule to suggest for `column`: `preferred` if it fits, else a keyed hash, else (when
/// `allow_null`) `null`. On a column under a unique key only rules that keep values distinct
/// qualify, a hash then getting a fixed length. The YAML is what `dbtwin init` writes.
pub fn suggest(column: &Column, preferred: Option<Kind>, unique: bool, allow_null: bool) -> Option<(RuleSpec, String)> {
    let fixed_hash = column.max_chars.map_or(32, |m| (m as usize).min(32)) as u32;
    let of = |kind: Kind| FullRule { kind: Some(kind), ..FullRule::default() };
    let mut candidates: Vec<(FullRule, String)> = Vec::new();
    if let Some(k) = preferred {
        candidates.push((of(k), k.name().to_string()));
    }
    candidates.push((of(Kind::Hash), "hash".into()));
    if unique {
        let rule = FullRule { length: Some(fixed_hash), ..of(Kind::Hash) };
        candidates.push((rule, format!("{{ kind: hash, length: {fixed_hash} }}")));
        if matches!(column.class, TypeClass::Int { bytes: 8 }) {
            let rule = FullRule { format: Some("digits".into()), length: Some(18), ..of(Kind::Hash) };
            candidates.push((rule, "{ kind: hash, format: digits, length: 18 }".into()));
        }
    }
    if allow_null {
        candidates.push((of(Kind::Null), "null".into()));
    }
    candidates.into_iter().find_map(|(rule, yaml)| {
        let rule = spec::compile(&Rule::Full(Box::new(rule))).ok()?;
        let masker = Masker::new(&rule.spec, column, BinaryText::Raw).ok()?;
        (!unique || masker.unique_safe().is_ok()).then_some((rule, yaml))
    })
}

/// Words that mark a column as sensitive without naming a kind of fake value for it.
const SENSITIVE: &[&str] = &[
    "ssn",
    "passport",
    "iban",
    "card",
    "credit",
    "cvv",
    "token",
    "password",
    "passwd",
    "secret",
    "salary",
    "tax",
    "license",
    "licence",
    "national",
    "insurance",
    "bank",
    "account",
];

/// Why a column looks personal, and the kind to suggest for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Personal {
    pub reason: &'static str,
    pub kind: Option<Kind>,
}

/// Tables whose rows are people: a bare `name` there is a person's.
const PEOPLE: &[&str] = &[
    "customer",
    "client",
    "user",
    "employee",
    "staff",
    "contact",
    "member",
    "patient",
    "person",
    "people",
    "author",
    "student",
    "teacher",
    "driver",
    "passenger",
    "guest",
    "subscriber",
    "applicant",
    "candidate",
    "actor",
    "owner",
    "buyer",
    "seller",
    "tenant",
    "worker",
    "doctor",
    "nurse",
    "volunteer",
    "donor",
    "lead",
];

/// Words before `name` that make it a person's: `contact_name`, `full_name`.
const PERSON_NAME: &[&str] = &[
    "full",
    "display",
    "real",
    "legal",
    "maiden",
    "middle",
    "nick",
    "customer",
    "client",
    "contact",
    "person",
    "owner",
    "holder",
    "employee",
    "patient",
    "member",
    "user",
    "recipient",
    "sender",
    "billing",
    "shipping",
];

/// Binary columns of pictures of people.
const PICTURE: &[&str] = &["picture", "photo", "avatar", "portrait", "selfie", "headshot", "signature", "image"];

const LOCATION: &[&str] = &["latitude", "longitude", "lat", "lng", "lon", "geo", "geolocation", "coordinates"];

/// Free text that, in a table of people, is about a person.
const FREE_TEXT: &[&str] = &["notes", "note", "bio", "biography", "comment", "comments", "remarks", "about"];

/// Whether a table holds people, by its name's words (`customers`, `staff`, `crm_contacts`).
pub fn holds_people(table: &str) -> bool {
    words(table).iter().any(|w| {
        let singular = w.strip_suffix("es").filter(|s| PEOPLE.contains(s)).or_else(|| w.strip_suffix('s'));
        PEOPLE.contains(&w.as_str()) || singular.is_some_and(|s| PEOPLE.contains(&s))
    })
}

/// Whether a column of `table` looks like it holds personal or secret data, and why.
pub fn looks_personal(table: &str, column: &Column) -> Option<Personal> {
    let words = words(&column.name);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let by_name_kind = by_name(column);
    let name = |kind| Some(Personal { reason: "its name looks personal", kind });
    match by_name_kind {
        Some(Kind::Name) => {
            let before_name = words.iter().take_while(|w| *w != "name").any(|w| PERSON_NAME.contains(&w.as_str()));
            if (holds_people(table) && words.len() == 1) || before_name || words.concat() == "fullname" {
                return name(Some(Kind::Name));
            }
        }
        Some(kind) => return name(Some(kind)),
        None => {}
    }
    if has(SENSITIVE) {
        return name(None);
    }
    if column.class == TypeClass::Binary && has(PICTURE) {
        return Some(Personal { reason: "it looks like a picture of a person", kind: Some(Kind::Null) });
    }
    if column.is_geometry() || has(LOCATION) {
        return Some(Personal { reason: "it holds a location", kind: Some(Kind::Null) });
    }
    if column.class == TypeClass::Text && has(FREE_TEXT) && holds_people(table) {
        return Some(Personal { reason: "free text about a person", kind: Some(Kind::LoremSentence) });
    }
    None
}

/// The personal-data kind a column's name (or inet type) suggests.
fn by_name(column: &Column) -> Option<Kind> {
    let words = words(&column.name);
    let joined: String = words.concat();
    let has = |w: &str| words.iter().any(|x| x == w);
    if joined.contains("email") || has("mail") {
        Some(Kind::Email)
    } else if joined.contains("username") || has("login") || has("nickname") || has("handle") {
        Some(Kind::Username)
    } else if joined.contains("firstname") || joined.contains("givenname") || has("fname") || has("forename") {
        Some(Kind::FirstName)
    } else if joined.contains("lastname") || joined.contains("familyname") || has("surname") || has("lname") {
        Some(Kind::LastName)
    } else if has("iban") {
        Some(Kind::Iban)
    } else if joined.contains("creditcard") || joined.contains("cardnumber") || has("pan") || has("ccnumber") {
        Some(Kind::CreditCard)
    } else if has("mac") || joined.contains("macaddr") {
        Some(Kind::Mac)
    } else if has("ipv6") {
        Some(Kind::Ipv6)
    } else if has("company") || has("employer") || has("organization") || has("organisation") {
        Some(Kind::Company)
    } else if joined.contains("birth") || has("dob") || has("born") {
        Some(Kind::DateOfBirth)
    } else if has("phone") || has("mobile") || has("tel") || has("telephone") || has("fax") || has("cell") {
        Some(Kind::Phone)
    } else if has("ip") || joined.starts_with("ipaddr") || has("ipv4") || column.class == TypeClass::Inet {
        Some(Kind::Ipv4)
    } else if has("zip") || has("postcode") || has("postal") || joined.contains("zipcode") {
        Some(Kind::Zip)
    } else if has("city") || has("town") {
        Some(Kind::City)
    } else if has("address") || has("street") || joined.starts_with("addr") {
        Some(Kind::StreetAddress)
    } else if has("name") || joined == "fullname" {
        Some(Kind::Name)
    } else {
        None
    }
}

/// Lower-case words of an identifier: `homePhone`, `home_phone` and `Home Phone` all give
/// `["home", "phone"]`.
fn words(ident: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for ch in ident.chars() {
        if !ch.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        current.extend(ch.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, class: TypeClass) -> Column {
        Column::new(name, "t", class)
    }

    #[test]
    fn splits_identifiers_into_words() {
        assert_eq!(words("homePhone"), ["home", "phone"]);
        assert_eq!(words("Home Phone"), ["home", "phone"]);
        assert_eq!(words("e-mail_Address"), ["e", "mail", "address"]);
    }

    #[test]
    fn infers_from_names() {
        let text = |n: &str| infer(&col(n, TypeClass::Text));
        assert_eq!(text("email"), Some(Kind::Email));
        assert_eq!(text("E-Mail Address"), Some(Kind::Email));
        assert_eq!(text("first_name"), Some(Kind::FirstName));
        assert_eq!(text("lastName"), Some(Kind::LastName));
        assert_eq!(text("surname"), Some(Kind::LastName));
        assert_eq!(text("name"), Some(Kind::Name));
        assert_eq!(text("customer_name"), Some(Kind::Name));
        assert_eq!(text("company_name"), Some(Kind::Company));
        assert_eq!(text("user_name"), Some(Kind::Username));
        assert_eq!(text("mobile"), Some(Kind::Phone));
        assert_eq!(text("address"), Some(Kind::StreetAddress));
        assert_eq!(text("city"), Some(Kind::City));
        assert_eq!(text("zip"), Some(Kind::Zip));
        assert_eq!(text("shipping"), Some(Kind::Hash), "no ip inside shipping");
        assert_eq!(text("last_ip"), Some(Kind::Ipv4));
        assert_eq!(text("notes"), Some(Kind::Hash));
        assert_eq!(text("iban"), Some(Kind::Iban));
        assert_eq!(text("credit_card_number"), Some(Kind::CreditCard));
        assert_eq!(text("mac_address"), Some(Kind::Mac));
        assert_eq!(text("client_ipv6"), Some(Kind::Ipv6));
        assert_eq!(infer(&col("birth_date", TypeClass::Date)), Some(Kind::DateOfBirth));
        assert_eq!(infer(&col("born", TypeClass::Date)), Some(Kind::DateOfBirth));
        assert_eq!(infer(&col("client", TypeClass::Inet)), Some(Kind::Ipv4));
    }

    #[test]
    fn sensitive_names_without_a_fake_kind_still_look_personal() {
        let personal = |table: &str, c: Column| looks_personal(table, &c).is_some();
        assert!(personal("t", col("passport_no", TypeClass::Text)));
        assert!(personal("t", col("apiToken", TypeClass::Text)));
        assert!(personal("t", col("email", TypeClass::Int { bytes: 4 })));
        assert!(!personal("t", col("notes", TypeClass::Text)));
        assert!(!personal("t", col("shipping", TypeClass::Text)));
    }

    #[test]
    fn a_name_is_a_persons_only_among_people() {
        let personal = |table: &str, name: &str| looks_personal(table, &col(name, TypeClass::Text)).is_some();
        for (table, column) in
            [("customers", "name"), ("staff", "name"), ("orders", "contact_name"), ("t", "full_name")]
        {
            assert!(personal(table, column), "{table}.{column}");
        }
        for (table, column) in [
            ("category", "name"),
            ("products", "product_name"),
            ("departments", "dept_name"),
            ("customers", "state_name"),
        ] {
            assert!(!personal(table, column), "{table}.{column}");
        }
        assert!(holds_people("crm_contacts") && holds_people("People") && holds_people("employees"));
        assert!(!holds_people("categories") && !holds_people("address"));
    }

    #[test]
    fn pictures_locations_and_notes_about_people_look_personal() {
        let why = |table: &str, c: Column| looks_personal(table, &c).map(|p| p.reason);
        assert_eq!(why("staff", col("picture", TypeClass::Binary)), Some("it looks like a picture of a person"));
        assert_eq!(why("store", col("location", TypeClass::Other)), None, "a bare `location` is not a point");
        assert_eq!(why("address", Column::new("location", "geometry", TypeClass::Other)), Some("it holds a location"));
        assert_eq!(why("shops", col("latitude", TypeClass::Float)), Some("it holds a location"));
        assert_eq!(why("customers", col("notes", TypeClass::Text)), Some("free text about a person"));
        assert_eq!(why("products", col("notes", TypeClass::Text)), None);
    }

    #[test]
    fn falls_back_to_hash_when_the_type_rejects_the_named_kind() {
        assert_eq!(infer(&col("phone", TypeClass::Int { bytes: 8 })), Some(Kind::Hash));
        assert_eq!(infer(&col("flags", TypeClass::Bool)), None);
        assert_eq!(infer(&col("email", TypeClass::Bool)), None);
    }
}
