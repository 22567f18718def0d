// Small progressive enhancements. Every page works without this file.
"use strict";

// Forms marked data-confirm ask before destroying anything.
document.addEventListener("submit", (event) => {
  const message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Leaving a page with words typed into a form and not sent (a reply, a new thread, an entry)
// makes the browser ask first, so a stray click or a closed tab does not lose them.
const unsent = new Set();
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLTextAreaElement) || !field.form) {
    return;
  }
  if (field.value.trim() !== field.defaultValue.trim()) {
    unsent.add(field);
  } else {
    unsent.delete(field);
  }
});
document.addEventListener("submit", (event) => {
  if (!event.defaultPrevented) {
    for (const field of [...unsent]) {
      if (field.form === event.target) {
        unsent.delete(field);
      }
    }
  }
});
window.addEventListener("beforeunload", (event) => {
  if (unsent.size > 0) {
    event.preventDefault();
    event.returnValue = "";
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
    // A count of nobody is left out rather than shown as "0".
    button.querySelector(".count").textContent = state.count > 0 ? String(state.count) : "";
  } catch (_) {
    postWithoutScript();
  }
});

// Live updates (server-sent events from /live): on a thread's last page, a bar says how many
// new replies arrived and shows them in place when asked, rather than moving the page under
// the reader; the header's notification count follows the member's notifications. Without
// this the page is the same, only static.
const liveSource = document.querySelector('meta[name="commonplace-live"]');
if (liveSource && window.EventSource) {
  const thread = new URL(liveSource.content, location.href).searchParams.get("thread");
  const fresh = [];
  let bar = null;

  const showReplies = async () => {
    const first = fresh[0];
    const posts = document.querySelector("ol.posts");
    try {
      const response = await fetch(`/t/${thread}?from=${first}`);
      if (!response.ok || !posts) {
        throw new Error(String(response.status));
      }
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const added = [...page.querySelectorAll("ol.posts > li.post")]
        .filter((post) => !document.getElementById(post.id))
        .map((post) => posts.appendChild(document.adoptNode(post)));
      fresh.length = 0;
      bar.remove();
      bar = null;
      if (added.length > 0) {
        added[0].setAttribute("tabindex", "-1");
        added[0].focus();
      }
    } catch (_) {
      location.href = `/p/${first}`;
    }
  };

  const announce = () => {
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "live-bar";
      bar.setAttribute("role", "status");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button primary";
      button.addEventListener("click", showReplies);
      bar.appendChild(button);
      (document.querySelector("ol.posts") || document.querySelector("main")).after(bar);
    }
    const count = fresh.length;
    bar.querySelector("button").textContent =
      count === 1 ? "1 new reply — show it" : `${count} new replies — show them`;
  };

  // The stream is closed whenever the page is left: a browser keeps only six connections to a
  // site over HTTP/1.1, and the streams of pages it keeps for "back" would otherwise hold them
  // all, so that the seventh page waits a minute for one.
  let source = null;
  const listen = () => {
    source = new EventSource(liveSource.content);
    source.addEventListener("reply", (event) => {
      const id = Number(event.data);
      if (!document.getElementById(`p${id}`) && !fresh.includes(id)) {
        fresh.push(id);
        announce();
      }
    });

    source.addEventListener("notifications", (event) => {
      const link = document.querySelector('.account a[href="/notifications"]');
      if (!link) {
        return;
      }
      const count = Number(event.data);
      let badge = link.querySelector(".badge");
      if (count > 0) {
        if (!badge) {
          badge = document.createElement("span");
          badge.className = "badge";
          link.append(" ", badge);
        }
        // As the server draws it: the word "unread" for screen readers only.
        const hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " unread";
        badge.replaceChildren(String(count), hidden);
      } else if (badge) {
        badge.remove();
      }
    });

    source.addEventListener("gone", () => source.close());
  };
  listen();
  window.addEventListener("pagehide", () => source.close());
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      listen();
    }
  });
}
