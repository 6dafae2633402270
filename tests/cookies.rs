//! Cookies over a real socket: what the server sets is what a browser
//! would store and send back, and what a client forges is not believed.

mod common;

use atode::cookies::{Cookie, CookieJar, Key, PrivateCookieJar, SameSite, SignedCookieJar};
use atode::{App, StatusCode, get, post, routes};
use common::{Http1, TestServer, request};

#[post("/plain/<value>")]
async fn set_plain(value: String, jar: CookieJar) -> (StatusCode, CookieJar, &'static str) {
    let cookie = Cookie::build(("theme", value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax);
    (StatusCode::CREATED, jar.add(cookie), "set")
}

#[get("/plain")]
async fn read_plain(jar: CookieJar) -> String {
    let mut pairs: Vec<String> = jar
        .iter()
        .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
        .collect();
    pairs.sort();
    pairs.join(",")
}

#[post("/plain/logout")]
async fn remove_plain(jar: CookieJar) -> (CookieJar, &'static str) {
    (jar.remove(Cookie::build("theme").path("/")), "removed")
}

#[post("/signed/<user>")]
async fn set_signed(user: String, jar: SignedCookieJar) -> (SignedCookieJar, &'static str) {
    (jar.add(Cookie::build(("user", user)).path("/")), "signed")
}

#[get("/signed")]
async fn read_signed(jar: SignedCookieJar) -> String {
    jar.get("user")
        .map_or("nobody".to_owned(), |user| user.value().to_owned())
}

#[post("/private/<secret>")]
async fn set_private(secret: String, jar: PrivateCookieJar) -> (PrivateCookieJar, &'static str) {
    (
        jar.add(Cookie::build(("secret", secret)).path("/")),
        "stored",
    )
}

#[get("/private")]
async fn read_private(jar: PrivateCookieJar) -> String {
    jar.get("secret")
        .map_or("none".to_owned(), |secret| secret.value().to_owned())
}

fn app() -> App {
    App::new().state(Key::generate()).routes(routes![
        set_plain,
        read_plain,
        remove_plain,
        set_signed,
        read_signed,
        set_private,
        read_private
    ])
}

fn with_cookie(method: &str, path: &str, cookie: &str) -> common::Request {
    let mut request = request(method, path);
    request.headers_mut().insert(
        http::header::COOKIE,
        http::HeaderValue::from_str(cookie).expect("a header value"),
    );
    request
}

/// The `name=value` part of a `Set-Cookie` header: what a browser sends back.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().expect("a pair")
}

fn set_cookies(headers: &http::HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().expect("text").to_owned())
        .collect()
}

#[tokio::test]
async fn a_cookie_is_set_read_back_and_removed() {
    let server = TestServer::start(app()).await;
    let mut client = Http1::connect(server.addr).await;

    let (status, headers, body) = client.fetch(request("POST", "/plain/dark%20blue")).await;
    assert_eq!((status, body.as_str()), (StatusCode::CREATED, "set"));
    assert_eq!(
        set_cookies(&headers),
        ["theme=dark%20blue; HttpOnly; SameSite=Lax; Path=/"]
    );

    let (status, _, body) = client
        .fetch(with_cookie("GET", "/plain", "theme=dark%20blue; lang=en"))
        .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "lang=en,theme=dark blue")
    );

    let (_, headers, body) = client
        .fetch(with_cookie("POST", "/plain/logout", "theme=dark%20blue"))
        .await;
    assert_eq!(body, "removed");
    let removal = set_cookies(&headers);
    assert_eq!(removal.len(), 1, "{removal:?}");
    assert!(
        removal[0].starts_with("theme=; Path=/; Max-Age=0; Expires="),
        "a removal cookie, expired: {removal:?}"
    );
}

#[tokio::test]
async fn malformed_cookie_pairs_are_skipped_not_refused() {
    let server = TestServer::start(app()).await;
    let (status, _, body) = Http1::connect(server.addr)
        .await
        .fetch(with_cookie(
            "GET",
            "/plain",
            "junk; =no-name; ok=1;; bad=%FF; also=2",
        ))
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "also=2,ok=1"));
}

#[tokio::test]
async fn a_signed_cookie_is_readable_and_a_tampered_one_is_not_believed() {
    let server = TestServer::start(app()).await;
    let mut client = Http1::connect(server.addr).await;

    let (_, headers, _) = client.fetch(request("POST", "/signed/ada")).await;
    let set = set_cookies(&headers);
    assert_eq!(set.len(), 1);
    let signed = pair(&set[0]).to_owned();
    assert!(
        signed.ends_with("ada"),
        "the value stays readable: {signed}"
    );

    let (_, _, body) = client.fetch(with_cookie("GET", "/signed", &signed)).await;
    assert_eq!(body, "ada");

    let forged = signed.replace("ada", "eve");
    let (status, _, body) = client.fetch(with_cookie("GET", "/signed", &forged)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "nobody"));
    let (_, _, body) = client
        .fetch(with_cookie("GET", "/signed", "user=ada"))
        .await;
    assert_eq!(body, "nobody", "an unsigned cookie is not believed");
}

#[tokio::test]
async fn a_private_cookie_hides_its_value_and_only_its_own_key_opens_it() {
    let server = TestServer::start(app()).await;
    let mut client = Http1::connect(server.addr).await;

    let (_, headers, _) = client.fetch(request("POST", "/private/hunter2")).await;
    let set = set_cookies(&headers);
    let private = pair(&set[0]).to_owned();
    assert!(private.starts_with("secret="), "{private}");
    assert!(
        !private.contains("hunter2"),
        "the value is hidden: {private}"
    );

    let (_, _, body) = client.fetch(with_cookie("GET", "/private", &private)).await;
    assert_eq!(body, "hunter2");

    // Another app, another key: the same cookie opens to nothing.
    let other = TestServer::start(app()).await;
    let (_, _, body) = Http1::connect(other.addr)
        .await
        .fetch(with_cookie("GET", "/private", &private))
        .await;
    assert_eq!(body, "none");

    // One base64 letter of the ciphertext changed (not inside a `%XX`).
    let mut tampered = private.into_bytes();
    let at = (tampered.len() / 2..tampered.len())
        .find(|&i| {
            tampered[i].is_ascii_alphabetic() && tampered[i - 1] != b'%' && tampered[i - 2] != b'%'
        })
        .expect("a letter to change");
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let (_, _, body) = client
        .fetch(with_cookie("GET", "/private", &tampered))
        .await;
    assert_eq!(body, "none");
}

#[test]
fn an_app_whose_routes_need_a_key_and_has_none_does_not_start() {
    let app = App::new().routes(routes![read_signed]);
    let error = app.check().expect_err("no key").to_string();
    assert!(error.contains("cookie::secure::key::Key"), "{error}");
}
