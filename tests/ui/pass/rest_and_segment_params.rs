use atode::{App, get, routes};

#[get("/files/<dir>/<rest..>")]
async fn file(dir: String, rest: String) -> String {
    format!("{dir}/{rest}")
}

#[get("/<all..>")]
async fn fallback(all: String) -> String {
    all
}

// A parameter may share its segment with static text.
#[get("/images/img-<id>.png")]
async fn image(id: u32) -> String {
    id.to_string()
}

// Characters clients percent-encode are written encoded.
#[get("/literal/%7Bbraces%7D/<id>")]
async fn braces(id: u32) -> String {
    id.to_string()
}

// Percent escapes, and the sub-delimiters RFC 3986 allows in a path.
#[get("/odd/a%20b/@me/x:y/!$&'()*+,;=-._~")]
async fn odd() -> &'static str {
    "odd"
}

#[get("/trailing/")]
async fn trailing() -> &'static str {
    "trailing"
}

#[get("/")]
async fn root() -> &'static str {
    "root"
}

fn main() {
    let _ = App::new().routes(routes![file, fallback, image, braces, odd, trailing, root]);
}
