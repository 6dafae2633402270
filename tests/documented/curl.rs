//! A documented `curl` as a request: the flags the examples use, read as
//! curl reads them, and an error for any other, so a header shows only
//! what the test sends.

use std::path::Path;

use atode::testing::MultipartForm;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, header};
use http_body_util::Full;

/// curl's one-letter switches the test knows, which may be clustered
/// (`-si`): `-s` and `-N` change nothing here (the test reads quietly, and
/// a stream as it comes), `-i` and `-I` show the headers, `-L` follows
/// redirects.
pub const SWITCHES: &str = "sNiIL";

/// The documented host and port every URL names: the example's own, as
/// `cargo run` serves it.
pub const DOCUMENTED_HOST: &str = "127.0.0.1";

/// A `curl` command, read.
#[derive(Debug)]
pub struct Curl {
    pub method: Method,
    /// `host:port` as written: which running example it asks.
    pub authority: String,
    pub path_and_query: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// `-i`, `-I`: the expected output shows the headers.
    pub shows_headers: bool,
    /// `-L`.
    pub follows_redirects: bool,
    /// `--compressed`: asks for gzip, and shows the body decompressed.
    pub compressed: bool,
}

/// Reads `words` (after `curl`). Files named by `-F name=@path` are read
/// from `root`, where the commands are typed.
pub fn parse(words: &[String], root: &Path) -> Result<Curl, String> {
    let mut method: Option<Method> = None;
    let mut head = false;
    let mut url: Option<&str> = None;
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let mut data: Option<Vec<u8>> = None;
    let mut form: Option<MultipartForm> = None;
    let (mut shows_headers, mut follows_redirects, mut compressed) = (false, false, false);
    let mut words = words.iter().skip(1);
    let value = |flag: &str, words: &mut dyn Iterator<Item = &String>| {
        words
            .next()
            .cloned()
            .ok_or_else(|| format!("`curl {flag}` without its value"))
    };
    while let Some(word) = words.next() {
        match word.as_str() {
            "-X" | "--request" => {
                let name = value(word, &mut words)?;
                method = Some(name.parse().map_err(|_| format!("no method {name:?}"))?);
            }
            "-H" | "--header" => {
                let line = value(word, &mut words)?;
                let (name, text) = line
                    .split_once(':')
                    .ok_or_else(|| format!("-H {line:?} is no `name: value`"))?;
                let name: HeaderName = name
                    .trim()
                    .parse()
                    .map_err(|_| format!("no header name {name:?}"))?;
                let text = HeaderValue::from_str(text.trim())
                    .map_err(|_| format!("no header value {text:?}"))?;
                headers.push((name, text));
            }
            "-d" | "--data" | "--data-binary" => {
                let text = value(word, &mut words)?;
                if text.starts_with('@') {
                    return Err(format!(
                        "`{word} @file` is not sent by the test: write the data"
                    ));
                }
                // As curl: `-d` twice joins the two with `&`.
                let joined = data.get_or_insert_with(Vec::new);
                if !joined.is_empty() {
                    joined.push(b'&');
                }
                joined.extend_from_slice(text.as_bytes());
            }
            "-F" | "--form" => {
                let field = value(word, &mut words)?;
                form = Some(form_field(form.unwrap_or_default(), &field, root)?);
            }
            "--compressed" => compressed = true,
            "--include" => shows_headers = true,
            "--head" => head = true,
            "--location" => follows_redirects = true,
            "--silent" | "--no-buffer" => {}
            flag if flag.starts_with('-') && !flag.starts_with("--") && flag.len() > 1 => {
                for letter in flag[1..].chars() {
                    match letter {
                        's' | 'N' => {}
                        'i' => shows_headers = true,
                        'I' => head = true,
                        'L' => follows_redirects = true,
                        other => {
                            return Err(format!(
                                "curl's `-{other}` is not run by the test: use -X, -H, -d, --data, --data-binary, -F, -i, -I, -s, -N, -L or --compressed"
                            ));
                        }
                    }
                }
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "curl's `{flag}` is not run by the test: use -X, -H, -d, --data, --data-binary, -F, -i, -I, -s, -N, -L or --compressed"
                ));
            }
            address => {
                if url.replace(address).is_some() {
                    return Err("a `curl` asks one URL".to_owned());
                }
            }
        }
    }
    let url = url.ok_or("a `curl` without a URL")?;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: the examples serve http://{DOCUMENTED_HOST}:PORT"))?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    if !authority.starts_with(&format!("{DOCUMENTED_HOST}:")) {
        return Err(format!(
            "{url}: the examples serve http://{DOCUMENTED_HOST}:PORT"
        ));
    }
    let typed = headers.iter().any(|(name, _)| name == header::CONTENT_TYPE);
    // As curl: data, even none (`-d ''`), is a POST.
    let posts = data.is_some() || form.is_some();
    let body = match (data, form) {
        (Some(_), Some(_)) => return Err("curl sends -d or -F, not both".to_owned()),
        (Some(data), None) => {
            if !typed {
                headers.push((
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                ));
            }
            Bytes::from(data)
        }
        (None, Some(form)) => {
            let content_type = HeaderValue::from_str(&form.content_type())
                .map_err(|_| "a multipart content type".to_owned())?;
            headers.push((header::CONTENT_TYPE, content_type));
            form.to_bytes()
        }
        (None, None) => Bytes::new(),
    };
    let method = match (method, head, posts) {
        (Some(method), _, _) => method,
        (None, true, _) => Method::HEAD,
        (None, false, true) => Method::POST,
        (None, false, false) => Method::GET,
    };
    Ok(Curl {
        method,
        authority: authority.to_owned(),
        path_and_query: path.to_owned(),
        headers,
        body,
        shows_headers: shows_headers || head,
        follows_redirects,
        compressed,
    })
}

/// `-F name=value`, or `-F name=@path` (a file, its name the path's last
/// part) with an optional `;type=...`.
fn form_field(form: MultipartForm, field: &str, root: &Path) -> Result<MultipartForm, String> {
    let (name, value) = field
        .split_once('=')
        .ok_or_else(|| format!("-F {field:?} is no `name=value`"))?;
    let Some(file) = value.strip_prefix('@') else {
        return Ok(form.text(name, value.to_owned()));
    };
    let (path, content_type) = match file.split_once(";type=") {
        Some((path, content_type)) => (path, content_type),
        None => (file, "application/octet-stream"),
    };
    let content = std::fs::read(root.join(path)).map_err(|error| format!("-F {field}: {error}"))?;
    let file_name = Path::new(path)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(path);
    Ok(form.file(name, file_name, content_type, content))
}

impl Curl {
    /// The request, as curl sends it to `authority` (the documented one:
    /// `Host` says what the user typed).
    pub fn request(&self, path_and_query: &str) -> http::Request<Full<Bytes>> {
        let mut request = http::Request::builder()
            .method(self.method.clone())
            .uri(path_and_query)
            .header(header::HOST, &self.authority)
            .header(header::USER_AGENT, "curl")
            .header(header::ACCEPT, "*/*");
        if self.compressed {
            request = request.header(header::ACCEPT_ENCODING, "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        request
            .body(Full::new(self.body.clone()))
            .expect("a request from valid parts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curl(line: &str) -> Result<Curl, String> {
        let words: Vec<String> = line.split(' ').map(str::to_owned).collect();
        parse(&words, Path::new("."))
    }

    #[test]
    fn reads_the_method_as_curl_does() {
        assert_eq!(
            curl("curl http://127.0.0.1:8000/a").unwrap().method,
            Method::GET
        );
        let posted = curl("curl -d a=1 -d b=2 http://127.0.0.1:8000/a").unwrap();
        assert_eq!(
            (posted.method, &posted.body[..]),
            (Method::POST, &b"a=1&b=2"[..])
        );
        assert_eq!(
            curl("curl -sI http://127.0.0.1:8000/").unwrap().method,
            Method::HEAD
        );
        let deleted = curl("curl -X DELETE http://127.0.0.1:8001/users/1").unwrap();
        assert_eq!(
            (
                deleted.method,
                deleted.authority.as_str(),
                deleted.path_and_query.as_str()
            ),
            (Method::DELETE, "127.0.0.1:8001", "/users/1")
        );
    }

    #[test]
    fn refuses_what_it_does_not_send() {
        for line in [
            "curl -o out http://127.0.0.1:8000/",
            "curl --retry 3 http://127.0.0.1:8000/",
            "curl https://127.0.0.1:8000/",
            "curl http://localhost:8000/",
            "curl -d @body.json http://127.0.0.1:8000/",
        ] {
            assert!(curl(line).is_err(), "{line}");
        }
    }
}
