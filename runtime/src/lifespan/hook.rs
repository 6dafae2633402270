//! What can be a lifespan hook: an `async fn` or closure taking app state,
//! and the type-erased [`Hook`] the app stores for it.

use std::any::TypeId;
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::State;
use crate::extract::{Requirements, StateMap};

/// What a start-up hook's future may return: `()` for a hook that only
/// prepares something, or `Result<T, E>` where `E: Display`, whose `T`
/// becomes app state (a `T` of `()` adds none).
///
/// ```
/// use atode::lifespan::StartupResult;
///
/// fn returns_state<R: StartupResult>(_: R) {}
///
/// returns_state(());
/// returns_state(Ok::<u32, std::io::Error>(7));
/// returns_state(Err::<(), &str>("cannot reach the cache"));
/// ```
#[diagnostic::on_unimplemented(
    message = "a start-up hook must return `()` or `Result<T, E>` where `E: Display`, not `{Self}`",
    note = "the `T` of `Ok(T)` becomes app state, which handlers take with `State<T>`; an `Err` stops the server before it listens"
)]
pub trait StartupResult: Send + 'static {
    /// The app state the hook provides; `()` for none.
    type State: Clone + Send + Sync + 'static;

    #[doc(hidden)]
    fn into_state(self) -> Result<Self::State, String>;
}

impl StartupResult for () {
    type State = ();

    fn into_state(self) -> Result<(), String> {
        Ok(())
    }
}

impl<T, E> StartupResult for Result<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: Display + Send + 'static,
{
    type State = T;

    fn into_state(self) -> Result<T, String> {
        self.map_err(|error| error.to_string())
    }
}

/// What a shutdown hook's future may return: `()`, or `Result<_, E>` where
/// `E: Display`, whose `Err` is logged.
///
/// ```
/// use atode::lifespan::ShutdownResult;
///
/// fn is_outcome<R: ShutdownResult>(_: R) {}
///
/// is_outcome(());
/// is_outcome(Ok::<(), std::io::Error>(()));
/// ```
#[diagnostic::on_unimplemented(
    message = "a shutdown hook must return `()` or `Result<_, E>` where `E: Display`, not `{Self}`",
    note = "an `Err` is logged, and the shutdown hooks after it still run"
)]
pub trait ShutdownResult: Send + 'static {
    #[doc(hidden)]
    fn into_outcome(self) -> Result<(), String>;
}

impl ShutdownResult for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<T: Send + 'static, E: Display + Send + 'static> ShutdownResult for Result<T, E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map(drop).map_err(|error| error.to_string())
    }
}

/// A function that [`App::on_startup`](crate::App::on_startup) can run: an
/// `async fn` or a closure returning a future, taking up to four
/// [`State<T>`] parameters (state given to [`App::state`](crate::App::state)
/// or returned by an earlier start-up hook), and returning a
/// [`StartupResult`]. `Args` is inferred.
///
/// ```
/// use atode::lifespan::StartupHook;
/// use atode::State;
///
/// fn is_startup_hook<Args>(_: impl StartupHook<Args>) {}
///
/// #[derive(Clone)]
/// struct Config {
///     url: String,
/// }
///
/// #[derive(Clone)]
/// struct Pool;
///
/// async fn connect(State(config): State<Config>) -> Result<Pool, std::io::Error> {
///     let _ = config.url;
///     Ok(Pool)
/// }
///
/// is_startup_hook(connect);
/// is_startup_hook(|| async {});
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a start-up hook",
    label = "expected an `async fn` or a closure returning a future",
    note = "a start-up hook takes up to four `State<T>` parameters and its future returns `()` or `Result<T, E: Display>`",
    note = "the function and its future must be `Send + Sync + 'static` (clone what it captures inside the closure)"
)]
pub trait StartupHook<Args>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_hook(self) -> Hook;
}

/// A function that [`App::on_shutdown`](crate::App::on_shutdown) can run:
/// an `async fn` or a closure returning a future, taking up to four
/// [`State<T>`] parameters (such as the pool a start-up hook opened), and
/// returning a [`ShutdownResult`]. `Args` is inferred.
///
/// ```
/// use atode::lifespan::ShutdownHook;
/// use atode::State;
///
/// fn is_shutdown_hook<Args>(_: impl ShutdownHook<Args>) {}
///
/// #[derive(Clone)]
/// struct Pool;
///
/// async fn close(State(_pool): State<Pool>) -> std::io::Result<()> {
///     Ok(())
/// }
///
/// is_shutdown_hook(close);
/// is_shutdown_hook(|| async {});
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a shutdown hook",
    label = "expected an `async fn` or a closure returning a future",
    note = "a shutdown hook takes up to four `State<T>` parameters and its future returns `()` or `Result<_, E: Display>`",
    note = "the function and its future must be `Send + Sync + 'static`"
)]
pub trait ShutdownHook<Args>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_hook(self) -> Hook;
}

/// Adds what a start-up hook returned to the app's state.
pub(crate) type Provide = Box<dyn FnOnce(&mut StateMap) + Send>;

/// A hook's run: its outcome, with the state a start-up hook provides.
pub(crate) type HookFuture = Pin<Box<dyn Future<Output = Result<Option<Provide>, String>> + Send>>;

/// A lifespan hook with its types erased, as the app stores it.
#[doc(hidden)]
#[derive(Clone)]
pub struct Hook {
    /// The function's type name, for errors and logs.
    pub(crate) name: &'static str,
    /// The state it takes.
    pub(crate) needs: Arc<Requirements>,
    /// The state it returns, for start-up hooks that return any.
    pub(crate) provides: Option<(TypeId, &'static str)>,
    /// Builds its future from the app state, everything the function does
    /// included, so a panic anywhere in it is caught where it is polled.
    pub(crate) run: Arc<dyn Fn(&StateMap) -> HookFuture + Send + Sync>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The `State<T>` a hook takes, cloned from the app, or the message that
/// says it is missing (which [`App::check`](crate::App::check) prevents).
fn take<T: Clone + Send + Sync + 'static>(
    state: &StateMap,
    hook: &'static str,
) -> Result<State<T>, String> {
    state.get::<T>().cloned().map(State).ok_or_else(|| {
        format!(
            "`{hook}` takes `State<{}>`, which the app was never given",
            std::any::type_name::<T>()
        )
    })
}

fn provides<T: 'static>() -> Option<(TypeId, &'static str)> {
    (TypeId::of::<T>() != TypeId::of::<()>())
        .then(|| (TypeId::of::<T>(), std::any::type_name::<T>()))
}

/// What a start-up hook's future gave: the state it adds, if any.
fn startup_outcome<O: StartupResult>(output: O) -> Result<Option<Provide>, String> {
    let value = output.into_state()?;
    if provides::<O::State>().is_none() {
        return Ok(None);
    }
    let provide: Provide = Box::new(move |state| state.insert(value));
    Ok(Some(provide))
}

/// What a shutdown hook's future gave: nothing to add, or its error.
fn shutdown_outcome<O: ShutdownResult>(output: O) -> Result<Option<Provide>, String> {
    output.into_outcome().map(|()| None)
}

/// One kind of hook (`$hook`, whose future returns a `$result`) for a
/// function of `State<$arg>`s: the parameters are taken from the app state
/// the same way for both kinds; only `$outcome` and `$provides` differ.
macro_rules! impl_hook {
    ($hook:ident, $result:ident, $outcome:ident, $provides:expr; $($arg:ident),*) => {
        impl<F, Fut, $($arg,)*> $hook<($(State<$arg>,)*)> for F
        where
            F: Fn($(State<$arg>),*) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: $result,
            $($arg: Clone + Send + Sync + 'static,)*
        {
            // `mut` is unused for hooks without parameters.
            #[allow(non_snake_case, unused_mut)]
            fn into_hook(self) -> Hook {
                let name = std::any::type_name::<F>();
                let mut needs = Requirements::default();
                $(needs.state::<$arg>();)*
                let function = Arc::new(self);
                let run = move |_state: &StateMap| -> HookFuture {
                    $(let $arg = take::<$arg>(_state, name);)*
                    let function = Arc::clone(&function);
                    Box::pin(async move { $outcome(function($($arg?),*).await) })
                };
                Hook {
                    name,
                    needs: Arc::new(needs),
                    provides: $provides,
                    run: Arc::new(run),
                }
            }
        }
    };
}

macro_rules! impl_hooks {
    ($($arg:ident),*) => {
        impl_hook!(
            StartupHook,
            StartupResult,
            startup_outcome,
            provides::<<Fut::Output as StartupResult>::State>();
            $($arg),*
        );
        impl_hook!(ShutdownHook, ShutdownResult, shutdown_outcome, None; $($arg),*);
    };
}

impl_hooks!();
impl_hooks!(A1);
impl_hooks!(A1, A2);
impl_hooks!(A1, A2, A3);
impl_hooks!(A1, A2, A3, A4);
