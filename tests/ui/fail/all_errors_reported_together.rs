// Every mistake in one attribute is reported in one compile: the methods,
// the path and the signature are all checked, whatever fails first.
use atode::{BackgroundTasks, route};

#[route(GET, get, PUSH, "items//<foo-bar>/<a><b>?x=1", cache = true)]
fn handler(_: u32, tasks: &BackgroundTasks, more: BackgroundTasks) -> String {
    let _ = (tasks, more);
    String::new()
}

fn main() {}
