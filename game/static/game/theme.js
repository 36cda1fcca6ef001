// Runs in <head> before the first paint: applies the theme, contrast and motion saved by ui.js.
(function () {
  var root = document.documentElement;
  try {
    root.dataset.theme = localStorage.getItem("sixfold.theme") || "auto";
    root.dataset.contrast = localStorage.getItem("sixfold.contrast") || "normal";
    root.dataset.motion = localStorage.getItem("sixfold.motion") || "full";
  } catch (e) {
    /* storage blocked: the defaults stay */
  }
})();
