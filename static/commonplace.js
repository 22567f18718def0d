// Small progressive enhancements. Every page works without this file.
"use strict";

// Forms marked data-confirm ask before destroying anything.
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Reactions toggle in place; without this the form posts and the page reloads at the post.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.classList.contains("reaction-form") || event.defaultPrevented) {
    return;
  }
  event.preventDefault();
  const button = form.querySelector("button");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "x-requested-with": "fetch" },
      body: new URLSearchParams(new FormData(form)),
    });
    if (!response.ok) {
      form.submit();
      return;
    }
    const state = await response.json();
    button.classList.toggle("active", state.active);
    button.setAttribute("aria-pressed", String(state.active));
    button.querySelector(".count").textContent = String(state.count);
  } catch (_) {
    form.submit();
  }
});
