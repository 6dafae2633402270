// The script of examples/static_site.rs, served from /static/app.js (with
// app.js.gz and app.js.br beside it, compressed ahead of time). It asks the
// API route for a greeting and shows it.
async function greet() {
  const target = document.getElementById("greeting");
  try {
    const response = await fetch("/api/greeting");
    const body = await response.json();
    target.textContent = body.message;
  } catch (error) {
    target.textContent = "The API did not answer: " + error;
  }
}

document.addEventListener("DOMContentLoaded", greet);
