// The photo form's resumable upload, hand-written (no library, no other
// host): the photo goes in chunks, each saying the offset it starts at
// (tus 1.0 core, as the media API speaks it); when the link drops, the
// script waits, asks the server how far it got, and sends the rest from
// there. Once every byte has arrived the form is posted with the upload's
// id instead of the file. Without this script the form posts the file.
(function () {
  "use strict";
  var CHUNK = 32 * 1024;
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.fetch || !window.Blob || !window.Promise) return;
  var input = form.querySelector('input[type="file"]');
  var bar = form.querySelector("progress");
  var note = form.querySelector("output");
  var csrf = form.querySelector('input[name="csrf"]').value;
  form.dataset.resumed = "0";

  function wait(ms) { return new Promise(function (ok) { setTimeout(ok, ms); }); }
  function call(method, url, headers, body) {
    headers["X-CSRF-Token"] = csrf;
    headers["Tus-Resumable"] = "1.0.0";
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin", cache: "no-store" });
  }
  function offsetOf(r) {
    var n = parseInt(r.headers.get("Upload-Offset"), 10);
    if (isNaN(n)) throw new Error("no Upload-Offset");
    return n;
  }
  // again retries a request through a dropped link, waiting longer each time.
  async function again(f) {
    for (var delay = 1000; ; delay = Math.min(delay * 2, 15000)) {
      try { return await f(); } catch (e) { form.dataset.resumed = String(+form.dataset.resumed + 1); await wait(delay); }
    }
  }
  async function send(file) {
    var r = await again(function () {
      return call("POST", form.dataset.upload, { "Upload-Length": String(file.size), "Upload-Metadata": "filetype " + btoa(file.type || "application/octet-stream") });
    });
    if (r.status !== 201) throw new Error(await r.text());
    var url = r.headers.get("Location");
    var offset = 0;
    bar.max = file.size;
    bar.hidden = false;
    while (offset < file.size) {
      try {
        r = await call("PATCH", url, { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) }, file.slice(offset, offset + CHUNK));
        if (r.status === 204 || r.status === 409) {
          offset = offsetOf(r); // 409: the server had this chunk already; go on from where it stands
        } else if (r.status >= 500) {
          throw new Error("status " + r.status);
        } else {
          throw Object.assign(new Error(await r.text()), { final: true });
        }
      } catch (e) {
        if (e.final) throw e;
        // The link dropped (or the server stumbled): ask where the upload stands.
        form.dataset.resumed = String(+form.dataset.resumed + 1);
        offset = offsetOf(await again(async function () {
          await wait(1000);
          var h = await call("HEAD", url, {});
          if (!h.ok) throw new Error("status " + h.status);
          return h;
        }));
      }
      bar.value = offset;
      form.dataset.offset = String(offset);
    }
    return url.slice(url.lastIndexOf("/") + 1);
  }
  form.addEventListener("submit", function (ev) {
    if (!input.files.length || form.dataset.sending) return;
    ev.preventDefault();
    form.dataset.sending = "1";
    note.value = "";
    send(input.files[0]).then(function (id) {
      form.querySelector('input[name="upload_id"]').value = id;
      input.disabled = true;
      form.submit();
    }, function (e) {
      delete form.dataset.sending;
      note.value = e.message;
    });
  });
})();
