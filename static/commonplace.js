// Small progressive enhancements. Every page works without this file.
"use strict";

// Forms marked data-confirm ask before destroying anything.
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
