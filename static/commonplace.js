// Small progressive enhancements. Every page works without this file.
"use strict";

// Forms marked data-confirm ask before destroying anything.
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Reactions toggle in place; without this the button posts the page's form (with its own
// formaction) and the page reloads at the post.
document.addEventListener("submit", async (event) => {
  const button = event.submitter;
  if (!button || !button.hasAttribute("data-reaction") || event.defaultPrevented) {
    return;
  }
  event.preventDefault();
  const postWithoutScript = () => {
    button.removeAttribute("data-reaction");
    button.click();
  };
  try {
    const response = await fetch(button.formAction, {
      method: "POST",
      headers: { "x-requested-with": "fetch" },
      body: new URLSearchParams(new FormData(event.target, button)),
    });
    if (!response.ok) {
      postWithoutScript();
      return;
    }
    const state = await response.json();
    button.classList.toggle("active", state.active);
    button.setAttribute("aria-pressed", String(state.active));
    button.querySelector(".count").textContent = String(state.count);
  } catch (_) {
    postWithoutScript();
  }
});
