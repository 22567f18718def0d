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

// Sends a form's fields in the background: by beacon while the page is being left (a fetch
// may be cut off then), else by fetch. Resolves to false if it could not be sent.
const sendInBackground = (url, body, leaving) => {
  if (leaving && navigator.sendBeacon) {
    return Promise.resolve(navigator.sendBeacon(url, body));
  }
  return fetch(url, { method: "POST", body, keepalive: true }).then(
    () => true,
    () => false,
  );
};

// Drafts (forum::drafts): a composer's text is kept on the server two seconds after typing
// stops and when the page is left, so it is there when the member comes back. Posting deletes
// it on the server, so nothing is saved once the form is on its way.
for (const form of document.querySelectorAll("form[data-draft]")) {
  let timer = null;
  let changed = false;
  let sent = false;
  const save = (leaving) => {
    clearTimeout(timer);
    if (!changed || sent) {
      return;
    }
    changed = false;
    // The text fields only: a chosen file is sent with the form, not kept in a draft.
    const fields = [...new FormData(form)].filter(([, value]) => typeof value === "string");
    const body = new URLSearchParams(fields);
    for (const [name, value] of new URLSearchParams(form.dataset.draft)) {
      body.set(name, value);
    }
    sendInBackground("/drafts", body, leaving).then((ok) => {
      if (!ok) {
        changed = true;
      }
    });
  };
  form.addEventListener("input", () => {
    changed = true;
    clearTimeout(timer);
    timer = setTimeout(() => save(false), 2000);
  });
  form.addEventListener("submit", () => {
    sent = true;
    clearTimeout(timer);
  });
  window.addEventListener("pagehide", () => save(true));
}

// Uploads (uploads::routes): a file dropped or pasted on a composer's text is sent at once and
// its Markdown link put where the cursor is. Without this, the form's file input sends files
// with the form, and the server adds their links to the text.
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
for (const field of document.querySelectorAll("textarea[data-upload]")) {
  const csrf = field.form && field.form.querySelector('input[name="csrf"]');
  if (!csrf) {
    continue;
  }
  const status = document.createElement("p");
  status.className = "hint upload-status";
  status.setAttribute("role", "status");
  field.insertAdjacentElement("afterend", status);
  const upload = async (file) => {
    if (file.size > MAX_UPLOAD_BYTES) {
      status.textContent = `${file.name} is larger than 4 MB, the most a file may be.`;
      return;
    }
    status.textContent = `Attaching ${file.name}…`;
    const body = new FormData();
    body.append("file", file, file.name);
    try {
      const response = await fetch(field.dataset.upload, {
        method: "POST",
        headers: { "x-csrf-token": csrf.value },
        body,
      });
      const json = (response.headers.get("content-type") || "").startsWith("application/json");
      const answer = json ? await response.json() : {};
      if (!response.ok) {
        status.textContent = answer.problem || `${file.name} could not be attached.`;
        return;
      }
      const before = field.value.slice(0, field.selectionStart);
      const gap = before.trim() === "" ? "" : before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
      field.setRangeText(`${gap}${answer.markdown}\n`, field.selectionStart, field.selectionEnd, "end");
      field.dispatchEvent(new Event("input", { bubbles: true }));
      status.textContent = `Attached ${answer.name}: its link is in your text.`;
    } catch (_) {
      status.textContent = `${file.name} could not be sent. Choose it with the file input below and press Preview.`;
    }
  };
  const attachAll = async (files) => {
    for (const file of files) {
      await upload(file);
    }
  };
  field.addEventListener("dragover", (event) => {
    if (event.dataTransfer && [...event.dataTransfer.types].includes("Files")) {
      event.preventDefault();
    }
  });
  field.addEventListener("drop", (event) => {
    const files = [...((event.dataTransfer && event.dataTransfer.files) || [])];
    if (files.length > 0) {
      event.preventDefault();
      attachAll(files);
    }
  });
  field.addEventListener("paste", (event) => {
    const files = [...((event.clipboardData && event.clipboardData.files) || [])];
    if (files.length > 0) {
      event.preventDefault();
      attachAll(files);
    }
  });
}

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

// Reading (forum::reading): on a thread page a member's posts count as read once scrolled past,
// not merely opened. The cookie, set on any page so that it is there before the first thread
// page, tells the server that this browser reports them, so its page views stop counting the
// whole page as read. The furthest post seen is sent a second after scrolling settles, and
// when the page is left.
let watchReading = () => {};
if (window.IntersectionObserver) {
  document.cookie = "commonplace_reads=scroll; path=/; max-age=2592000; samesite=lax";
}
const reading = document.querySelector('meta[name="commonplace-reading"]');
if (reading && reading.dataset.csrf && window.IntersectionObserver) {
  let seen = 0;
  let sent = 0;
  let timer = null;
  const send = (leaving) => {
    if (seen <= sent) {
      return;
    }
    const body = new URLSearchParams({ csrf: reading.dataset.csrf, post: String(seen) });
    sent = seen;
    sendInBackground(reading.content, body, leaving).then((ok) => {
      if (!ok) {
        sent = 0;
      }
    });
  };
  // A post is read when its end has been on screen.
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const bounds = entry.rootBounds;
        if (entry.isIntersecting && bounds && entry.boundingClientRect.bottom <= bounds.bottom + 1) {
          seen = Math.max(seen, Number(entry.target.id.slice(1)));
          observer.unobserve(entry.target);
        }
      }
      clearTimeout(timer);
      timer = setTimeout(() => send(false), 1000);
    },
    { threshold: [0, 0.25, 0.5, 0.75, 1] },
  );
  watchReading = (post) => observer.observe(post);
  document.querySelectorAll("ol.posts > li.post").forEach(watchReading);
  window.addEventListener("pagehide", () => send(true));
}

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
      added.forEach(watchReading);
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
      // The label the server draws in the header: a count, "99+", or "0" for none.
      const label = event.data;
      let badge = link.querySelector(".badge");
      if (label !== "0") {
        if (!badge) {
          badge = document.createElement("span");
          badge.className = "badge";
          link.append(" ", badge);
        }
        // As the server draws it: the word "unread" for screen readers only.
        const hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " unread";
        badge.replaceChildren(label, hidden);
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
