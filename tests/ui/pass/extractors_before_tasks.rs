use atode::{
    App, BackgroundTasks, FromRequestParts, Json, RequestParts, State, StatusCode, post, routes,
};
use serde::Deserialize;

#[derive(Clone)]
struct Config {
    greeting: &'static str,
}

#[derive(Deserialize)]
struct Signup {
    email: String,
}

/// A dependency of our own, as FastAPI's `Depends`.
struct UserAgent(String);

impl FromRequestParts for UserAgent {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, StatusCode> {
        let agent = parts
            .headers()
            .get("user-agent")
            .ok_or(StatusCode::BAD_REQUEST)?;
        Ok(UserAgent(
            agent
                .to_str()
                .map_err(|_| StatusCode::BAD_REQUEST)?
                .to_owned(),
        ))
    }
}

fn welcome(email: String, greeting: &'static str, agent: String) {
    let _ = (email, greeting, agent);
}

#[post("/signup/<team>")]
async fn signup(
    team: String,
    agent: UserAgent,
    config: State<Config>,
    body: Json<Signup>,
    tasks: BackgroundTasks,
) -> String {
    tasks.add_task(welcome, (body.0.email, config.0.greeting, agent.0));
    team
}

fn main() {
    let _ = App::new()
        .state(Config { greeting: "hi" })
        .routes(routes![signup]);
}
