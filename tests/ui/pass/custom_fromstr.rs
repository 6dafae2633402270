use std::fmt;
use std::str::FromStr;

use atode::{App, get, routes};

struct Slug(String);

#[derive(Debug)]
struct BadSlug;

impl fmt::Display for BadSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a slug is lowercase letters and dashes")
    }
}

impl FromStr for Slug {
    type Err = BadSlug;

    fn from_str(s: &str) -> Result<Self, BadSlug> {
        if s.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            Ok(Slug(s.to_owned()))
        } else {
            Err(BadSlug)
        }
    }
}

#[get("/posts/<slug>/<page>/<ratio>/<flag>/<addr>")]
async fn post(slug: Slug, page: u64, ratio: f64, flag: bool, addr: std::net::IpAddr) -> String {
    format!("{} {page} {ratio} {flag} {addr}", slug.0)
}

fn main() {
    let _ = App::new().routes(routes![post]);
}
