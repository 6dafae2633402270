//! Assembling the document from an app's routes and settings.

use std::collections::BTreeMap;

use http::Method;
use serde_json::{Map, Value, json};

use super::operation::{Operation, Status};
use super::schemas::Schemas;
use crate::routing::{RouteDef, RouteInfo};

/// What [`App::title`](crate::App::title) and its siblings set.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) info: Info,
    pub(crate) servers: Vec<(String, Option<String>)>,
    pub(crate) tags: Vec<(String, Option<String>)>,
    pub(crate) openapi_url: Option<String>,
    pub(crate) docs_url: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Info {
    pub(crate) title: String,
    pub(crate) version: String,
    pub(crate) description: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            info: Info {
                title: "atode".to_owned(),
                version: "0.1.0".to_owned(),
                description: None,
            },
            servers: Vec::new(),
            tags: Vec::new(),
            openapi_url: Some("/openapi.json".to_owned()),
            docs_url: Some("/docs".to_owned()),
        }
    }
}

/// The document, and what its routes' types could not describe.
pub(crate) struct Built {
    pub(crate) document: Value,
    pub(crate) gaps: Vec<String>,
}

/// The document for `routes`, or the problems that stop it being made (two
/// routes with one `operationId`).
pub(crate) fn build<'r>(
    routes: impl IntoIterator<Item = &'r RouteDef>,
    settings: &Settings,
) -> Result<Built, Vec<String>> {
    let mut schemas = Schemas::new();
    let mut security_schemes = Map::new();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut gaps = Vec::new();
    let mut problems = Vec::new();
    // operationId to the route that has it.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();

    // Described in the order of their paths, not of `routes!`: schemars
    // names types in the order it meets them.
    let mut routes: Vec<&RouteDef> = routes.into_iter().collect();
    routes.sort_by_key(|route| (route.info().declared, route.info().name));
    for route in routes {
        let info = route.info();
        let doc = &info.doc;
        if !doc.include_in_schema {
            continue;
        }
        let several = info.methods.iter().count() > 1;
        for method in info.methods.iter() {
            let where_ = format!("`{}` ({method} {})", info.name, info.declared);
            let Some(key) = path_item_key(&method) else {
                gaps.push(format!(
                    "{where_}: OpenAPI has no operations for the method {method}"
                ));
                continue;
            };
            let id = if several {
                format!("{}_{key}", info.name)
            } else {
                info.name.to_owned()
            };
            if let Some(other) = ids.insert(id.clone(), where_.clone()) {
                problems.push(format!(
                    "{other} and {where_} have one operationId, `{id}`: rename one of the handlers"
                ));
            }

            let declared = doc.status.map(Status::Code);
            let description = doc.response_description.unwrap_or("Successful Response");
            let mut op = Operation::new(&mut schemas, &mut security_schemes, declared, description);
            op.errors = doc.errors;
            (route.describe)(&mut op);
            if !doc.errors.is_empty() && !op.errors_described {
                op.gap(format!(
                    "`errors = {:?}` is not documented: the handler's return type has no `HttpError` to answer with them",
                    doc.errors
                ));
            }
            gaps.extend(op.gaps.drain(..).map(|gap| format!("{where_}: {gap}")));

            let operation = operation_object(info, id, op);
            paths
                .entry(openapi_path(info.declared))
                .or_default()
                .insert(key.to_owned(), Value::Object(operation));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut document = head(settings);
    let paths: Map<String, Value> = paths
        .into_iter()
        .map(|(path, item)| (path, Value::Object(item)))
        .collect();
    document.insert("paths".into(), Value::Object(paths));

    let mut document = Value::Object(document);
    let (schemas, ambiguous) = schemas.finish(&mut document);
    gaps.extend(ambiguous);
    let mut components = Map::new();
    if !schemas.is_empty() {
        components.insert("schemas".into(), Value::Object(schemas));
    }
    if !security_schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(security_schemes));
    }
    if !components.is_empty() {
        document["components"] = Value::Object(components);
    }
    Ok(Built { document, gaps })
}

/// One operation's object: its doc's keys, and what its types described
/// (`op`).
fn operation_object(info: &RouteInfo, id: String, op: Operation<'_>) -> Map<String, Value> {
    let doc = &info.doc;
    let mut operation = Map::new();
    if !doc.tags.is_empty() {
        operation.insert("tags".into(), json!(doc.tags));
    }
    let summary = doc
        .summary
        .map_or_else(|| title_case(info.name), str::to_owned);
    operation.insert("summary".into(), Value::from(summary));
    if let Some(description) = doc.description {
        operation.insert("description".into(), Value::from(description));
    }
    operation.insert("operationId".into(), Value::from(id));
    if doc.deprecated {
        operation.insert("deprecated".into(), Value::Bool(true));
    }
    if !op.parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(op.parameters));
    }
    if let Some(body) = op.request_body {
        operation.insert("requestBody".into(), Value::Object(body));
    }
    let responses: Map<String, Value> = op
        .responses
        .into_iter()
        .map(|(status, entry)| (status, Value::Object(entry)))
        .collect();
    operation.insert("responses".into(), Value::Object(responses));
    if !op.security.is_empty() {
        operation.insert("security".into(), Value::Array(op.security));
    }
    operation
}

/// The document's head: its version, `info`, `servers` and `tags`.
fn head(settings: &Settings) -> Map<String, Value> {
    let mut info = Map::new();
    info.insert("title".into(), Value::from(settings.info.title.as_str()));
    info.insert(
        "version".into(),
        Value::from(settings.info.version.as_str()),
    );
    if let Some(description) = &settings.info.description {
        info.insert("description".into(), Value::from(description.as_str()));
    }
    let mut document = Map::new();
    document.insert("openapi".into(), Value::from("3.1.0"));
    document.insert("info".into(), Value::Object(info));
    if !settings.servers.is_empty() {
        document.insert("servers".into(), named_list("url", &settings.servers));
    }
    if !settings.tags.is_empty() {
        document.insert("tags".into(), named_list("name", &settings.tags));
    }
    document
}

/// `[{"url": ..., "description": ...}]`, or `name` for tags.
fn named_list(key: &str, items: &[(String, Option<String>)]) -> Value {
    items
        .iter()
        .map(|(name, description)| {
            let mut item = Map::new();
            item.insert(key.to_owned(), Value::from(name.as_str()));
            if let Some(description) = description {
                item.insert("description".into(), Value::from(description.as_str()));
            }
            Value::Object(item)
        })
        .collect()
}

/// The key of `method`'s operation in a path item.
fn path_item_key(method: &Method) -> Option<&'static str> {
    Some(match *method {
        Method::GET => "get",
        Method::PUT => "put",
        Method::POST => "post",
        Method::DELETE => "delete",
        Method::OPTIONS => "options",
        Method::HEAD => "head",
        Method::PATCH => "patch",
        Method::TRACE => "trace",
        _ => return None,
    })
}

/// A path as declared (`/files/<path..>`) in OpenAPI's syntax (`/files/{path}`).
fn openapi_path(declared: &str) -> String {
    let mut path = String::with_capacity(declared.len());
    let mut rest = declared;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let name = rest[start + 1..start + end].trim_end_matches("..");
        path.push_str(&rest[..start]);
        path.push('{');
        path.push_str(name);
        path.push('}');
        rest = &rest[start + end + 1..];
    }
    path.push_str(rest);
    path
}

/// FastAPI's summary for an undocumented handler: `read_item` → "Read Item".
fn title_case(name: &str) -> String {
    name.split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_use_openapis_syntax() {
        assert_eq!(openapi_path("/items/<id>"), "/items/{id}");
        assert_eq!(openapi_path("/files/<path..>"), "/files/{path}");
        assert_eq!(openapi_path("/a/<x>/b/<y>"), "/a/{x}/b/{y}");
        assert_eq!(openapi_path("/"), "/");
    }

    #[test]
    fn summaries_default_to_the_title_cased_name() {
        assert_eq!(title_case("read_item"), "Read Item");
        assert_eq!(title_case("send_notification_v2"), "Send Notification V2");
        assert_eq!(title_case("__private"), "Private");
    }
}
