//! Database URLs that never show their password.
//!
//! A `DbUrl` is the only place a connection string lives. Its `Display` and `Debug` are redacted,
//! so it can go into any log line or error; the engine asks for the secret form explicitly.

use std::fmt;
use std::time::Duration;

use crate::data::env::percent_encode_userinfo;

/// The engines dbtwin speaks, as a URL's scheme names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineKind {
    Postgres,
    MySql,
    Sqlite,
}

impl EngineKind {
    pub fn from_scheme(scheme: &str) -> Option<Self> {
        match scheme {
            "postgres" | "postgresql" => Some(EngineKind::Postgres),
            "mysql" | "mariadb" => Some(EngineKind::MySql),
            "sqlite" => Some(EngineKind::Sqlite),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            EngineKind::Postgres => 5432,
            EngineKind::MySql => 3306,
            // A file: no port. Zero keeps "same host and port" comparisons meaningful.
            EngineKind::Sqlite => 0,
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::Postgres => "PostgreSQL",
            EngineKind::MySql => "MySQL/MariaDB",
            EngineKind::Sqlite => "SQLite",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    // The URL text itself is never repeated: it may hold a password.
    #[error("{what} URL is not a valid URL ({reason}); percent-encode special characters in the password")]
    Malformed { what: &'static str, reason: url::ParseError },
    #[error(
        "{what} URL {url}: unsupported scheme {scheme:?} (expected postgres://, postgresql://, mysql://, mariadb://, sqlite://)"
    )]
    Scheme { what: &'static str, url: String, scheme: String },
    #[error("{what} URL {url}: names no database (add /dbname to the URL)")]
    NoDatabase { what: &'static str, url: String },
    #[error("{what} URL: connect_timeout must be a whole number of seconds from 1 to 3600")]
    Timeout { what: &'static str },
    #[error("{what}: {reason}")]
    Login { what: &'static str, reason: &'static str },
}

/// How long a connection may take to be answered, unless the URL says (`connect_timeout=N`,
/// seconds, as libpq and the MySQL clients spell it).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// As written, for display (redacted) and for the driver, without dbtwin's own parameters.
    url: url::Url,
    engine: EngineKind,
    connect_timeout: Duration,
    /// SQLite: the file, as written after `sqlite://` (relative to the working directory, or
    /// absolute with a third slash: `sqlite:///var/db/app.db`).
    file: Option<String>,
}

impl DbUrl {
    /// `what` names the URL in errors ("source", "target").
    pub fn parse(text: &str, what: &'static str) -> Result<Self, UrlError> {
        let mut url = url::Url::parse(text).map_err(|reason| UrlError::Malformed { what, reason })?;
        let connect_timeout = take_connect_timeout(&mut url, what)?;
        let engine = EngineKind::from_scheme(url.scheme()).ok_or_else(|| UrlError::Scheme {
            what,
            url: redact(&url),
            scheme: url.scheme().to_string(),
        })?;
        let file = (engine == EngineKind::Sqlite).then(|| {
            let rest = text.trim_start_matches("sqlite:").trim_start_matches("//");
            rest.split('?').next().unwrap_or_default().to_string()
        });
        let parsed = DbUrl { url, engine, connect_timeout, file };
        if parsed.database().is_empty() {
            return Err(UrlError::NoDatabase { what, url: parsed.to_string() });
        }
        Ok(parsed)
    }

    pub fn engine(&self) -> EngineKind {
        self.engine
    }

    /// This URL with a user and password given apart from it (from the config, a secret store),
    /// as they are: they are percent-encoded here. A URL that already has a password may not
    /// get a second one, nor a URL that names a user another.
    pub fn with_login(
        mut self,
        user: Option<&str>,
        password: Option<&str>,
        what: &'static str,
    ) -> Result<Self, UrlError> {
        let refuse = |reason| Err(UrlError::Login { what, reason });
        if self.engine == EngineKind::Sqlite && (user.is_some() || password.is_some()) {
            return refuse("`user` and `password` do not apply to an SQLite file");
        }
        if let Some(user) = user {
            if !self.url.username().is_empty() && percent_decode(self.url.username()) != user {
                return refuse("the URL names one user and `user:` another; give the user in one place");
            }
            if user.is_empty() || self.url.set_username(&percent_encode_userinfo(user)).is_err() {
                return refuse("`user:` must name a user");
            }
        }
        if let Some(password) = password {
            if self.url.password().is_some() {
                return refuse("the URL has a password and `password` gives another; give it in one place");
            }
            if self.url.username().is_empty() {
                return refuse("a `password` needs a user, in the URL or in `user:`");
            }
            if self.url.set_password(Some(&percent_encode_userinfo(password))).is_err() {
                return refuse("this URL cannot carry a password");
            }
        }
        Ok(self)
    }

    /// How long connecting (and the server's first answer) may take.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The full URL including the password, for handing to the driver and nothing else.
    pub fn expose_secret(&self) -> &str {
        self.url.as_str()
    }

    /// `message` with this URL's password blanked out, for driver errors that might echo it.
    pub fn scrub(&self, message: &str) -> String {
        match self.url.password() {
            Some(pw) if !pw.is_empty() => {
                let decoded = percent_decode(pw);
                message.replace(pw, "***").replace(&decoded, "***")
            }
            _ => message.to_string(),
        }
    }

    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or("localhost")
    }

    pub fn port(&self) -> Option<u16> {
        self.url.port()
    }

    /// The same engine, host, port and database as `other`, as the URLs write them (another
    /// spelling of the same server is caught by comparing the engines' identities).
    pub fn same_database(&self, other: &DbUrl) -> bool {
        let port = |u: &DbUrl| u.port().unwrap_or(u.engine.default_port());
        self.engine == other.engine
            && self.host() == other.host()
            && port(self) == port(other)
            && self.database() == other.database()
    }

    /// The database name, or for SQLite the file's path.
    pub fn database(&self) -> &str {
        match &self.file {
            Some(file) => file,
            None => self.url.path().trim_start_matches('/'),
        }
    }
}

/// Remove `connect_timeout` from the query (the drivers ignore or refuse it) and read it.
fn take_connect_timeout(url: &mut url::Url, what: &'static str) -> Result<Duration, UrlError> {
    let mut timeout = CONNECT_TIMEOUT;
    if url.query().is_none() {
        return Ok(timeout);
    }
    let mut kept = Vec::new();
    for (k, v) in url.query_pairs() {
        if k == "connect_timeout" {
            let secs: u64 = v.parse().ok().filter(|s| (1..=3600).contains(s)).ok_or(UrlError::Timeout { what })?;
            timeout = Duration::from_secs(secs);
        } else {
            kept.push((k.into_owned(), v.into_owned()));
        }
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(timeout)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Setting a password only fails for URLs that cannot have one, which this one has.
        let _ = shown.set_password(Some("***"));
    }
    // Query parameters may carry `password=` or `sslpassword=` too.
    if shown.query().is_some() {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.contains("password") || k.contains("secret") { "***".into() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_displayed() {
        let u = DbUrl::parse("postgres://app:hunter2@db:5432/app?sslpassword=p2", "source").unwrap();
        let shown = format!("{u} {u:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("p2"), "{shown}");
        assert!(shown.contains("postgres://app:***@db:5432/app"), "{shown}");
        assert!(u.expose_secret().contains("hunter2"));
        assert_eq!(u.database(), "app");
        assert_eq!(u.scrub("auth failed for hunter2"), "auth failed for ***");
        let enc = DbUrl::parse("postgres://app:p%40ss@db/app", "source").unwrap();
        assert_eq!(enc.scrub("saw p@ss"), "saw ***");
    }

    #[test]
    fn a_login_given_apart_is_encoded_into_the_url() {
        let u = DbUrl::parse("postgres://db:5432/app", "source").unwrap();
        let u = u.with_login(Some("app"), Some("p@ss:w/rd%20#?"), "source").unwrap();
        assert_eq!(u.expose_secret(), "postgres://app:p%40ss%3Aw%2Frd%2520%23%3F@db:5432/app");
        assert_eq!(u.to_string(), "postgres://app:***@db:5432/app");
        assert_eq!(u.scrub("saw p@ss:w/rd%20#?"), "saw ***");
        let named = DbUrl::parse("mysql://app@db/app", "target").unwrap();
        assert!(named.clone().with_login(Some("app"), Some("pw"), "target").is_ok());
        let refused = |url: &str, user: Option<&str>, password: Option<&str>| {
            DbUrl::parse(url, "target").unwrap().with_login(user, password, "target").unwrap_err().to_string()
        };
        assert!(refused("mysql://app:pw@db/app", None, Some("secret")).contains("has a password"));
        assert!(refused("mysql://app@db/app", Some("other"), None).contains("one user and `user:` another"));
        assert!(refused("mysql://db/app", None, Some("secret")).contains("needs a user"));
        assert!(refused("sqlite://a.db", Some("u"), None).contains("SQLite"));
        assert!(DbUrl::parse("sqlite://a.db", "target").unwrap().with_login(None, None, "target").is_ok());
        for err in
            [refused("mysql://app:pw@db/app", None, Some("secret")), refused("mysql://db/app", None, Some("secret"))]
        {
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn connect_timeout_is_dbtwins_and_not_the_drivers() {
        let u = DbUrl::parse("postgres://app:pw@db/app?connect_timeout=5&sslmode=require", "source").unwrap();
        assert_eq!(u.connect_timeout(), Duration::from_secs(5));
        assert_eq!(u.expose_secret(), "postgres://app:pw@db/app?sslmode=require");
        let plain = DbUrl::parse("mysql://app@db/app?connect_timeout=7", "target").unwrap();
        assert_eq!((plain.connect_timeout().as_secs(), plain.expose_secret()), (7, "mysql://app@db/app"));
        assert_eq!(DbUrl::parse("mysql://app@db/app", "target").unwrap().connect_timeout(), CONNECT_TIMEOUT);
        for bad in ["0", "x", "99999"] {
            let err = DbUrl::parse(&format!("postgres://u:pw@h/db?connect_timeout={bad}"), "source").unwrap_err();
            assert!(err.to_string().contains("connect_timeout must be"), "{err}");
        }
    }

    #[test]
    fn sqlite_urls_name_files() {
        assert_eq!(DbUrl::parse("sqlite://fixtures/app.db", "target").unwrap().database(), "fixtures/app.db");
        assert_eq!(DbUrl::parse("sqlite:///var/db/app.db", "target").unwrap().database(), "/var/db/app.db");
        assert_eq!(DbUrl::parse("sqlite://app.db?mode=rwc", "target").unwrap().database(), "app.db");
        assert!(DbUrl::parse("sqlite://", "target").unwrap_err().to_string().contains("names no database"));
    }

    #[test]
    fn malformed_url_error_omits_the_text() {
        let err = DbUrl::parse("postgres://app:pa ss@@db:x/app", "target").unwrap_err().to_string();
        assert!(!err.contains("pa ss"), "{err}");
        assert!(err.starts_with("target URL is not a valid URL"), "{err}");
    }

    #[test]
    fn unknown_scheme_and_missing_database() {
        let err = DbUrl::parse("oracle://u:secret@h/db", "source").unwrap_err().to_string();
        assert!(err.contains("unsupported scheme \"oracle\""), "{err}");
        assert!(!err.contains("secret"), "{err}");
        let err = DbUrl::parse("postgres://u@h:5432", "source").unwrap_err().to_string();
        assert!(err.contains("names no database"), "{err}");
    }
}
