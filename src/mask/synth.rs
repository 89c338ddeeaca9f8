//! Made-up personal data for a database that should look like production (the demo's): values
//! of the kinds people store, drawn from the `fake` crate with the caller's RNG, so the same
//! seed gives the same rows. Not masks: nothing here depends on an original value.

use fake::Fake;
use fake::faker::{address::en as address, creditcard::en as card, internet::en as internet};
use fake::faker::{name::en as name, phone_number::en as phone};
use rand_chacha::ChaCha8Rng;

/// A kind of value to make up (English-speaking locale).
#[derive(Clone, Copy, Debug)]
pub enum Synth {
    FirstName,
    LastName,
    /// A free e-mail provider's domain (`gmail.com`).
    EmailDomain,
    BuildingNumber,
    StreetName,
    City,
    Phone,
    Ipv4,
    CardNumber,
}

pub fn draw(what: Synth, rng: &mut ChaCha8Rng) -> String {
    match what {
        Synth::FirstName => name::FirstName().fake_with_rng(rng),
        Synth::LastName => name::LastName().fake_with_rng(rng),
        Synth::EmailDomain => internet::FreeEmailProvider().fake_with_rng(rng),
        Synth::BuildingNumber => address::BuildingNumber().fake_with_rng(rng),
        Synth::StreetName => address::StreetName().fake_with_rng(rng),
        Synth::City => address::CityName().fake_with_rng(rng),
        Synth::Phone => phone::PhoneNumber().fake_with_rng(rng),
        Synth::Ipv4 => internet::IPv4().fake_with_rng(rng),
        Synth::CardNumber => card::CreditCardNumber().fake_with_rng(rng),
    }
}
