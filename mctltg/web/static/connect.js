// Progressive enhancement for /telegram/connect: follow the login live over a WebSocket.
// Without this script the pages still work (plain forms; the QR page refreshes itself).
(function () {
  "use strict";
  var section = document.querySelector("[data-live]");
  if (!section || !("WebSocket" in window)) {
    return;
  }
  var shownStep = section.getAttribute("data-step");
  var image = document.getElementById("qr-image");
  var status = document.getElementById("live-status");
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + window.location.host + section.getAttribute("data-live"));

  socket.addEventListener("message", function (event) {
    var update;
    try {
      update = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (update.step !== shownStep) {
      // A scan, the next step, or the end: the server renders it.
      if (status) {
        status.textContent = "Moving on…";
      }
      window.location.assign("/telegram/connect");
      return;
    }
    if (image && update.qr_image && update.qr_url !== image.getAttribute("data-login-url")) {
      image.setAttribute("src", update.qr_image);
      image.setAttribute("data-login-url", update.qr_url);
      if (status) {
        status.textContent = "Telegram renewed the code; scan the new one.";
      }
    }
  });
})();
