// The settings dialog shared by every page: theme, high contrast, fewer animations.
(function () {
  "use strict";
  var root = document.documentElement;
  var dialog = document.getElementById("settings");
  if (!dialog) return;

  function save(key, value) {
    try { localStorage.setItem("sixfold." + key, value); } catch (e) { /* private mode */ }
  }

  function sync() {
    dialog.querySelectorAll('input[name="theme"]').forEach(function (input) {
      input.checked = input.value === (root.dataset.theme || "auto");
    });
    dialog.querySelector('input[name="contrast"]').checked = root.dataset.contrast === "high";
    dialog.querySelector('input[name="motion"]').checked = root.dataset.motion === "reduce";
  }

  dialog.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "theme") {
      root.dataset.theme = input.value;
      save("theme", input.value);
    } else if (input.name === "contrast") {
      root.dataset.contrast = input.checked ? "high" : "normal";
      save("contrast", root.dataset.contrast);
    } else if (input.name === "motion") {
      root.dataset.motion = input.checked ? "reduce" : "full";
      save("motion", root.dataset.motion);
    }
    document.dispatchEvent(new CustomEvent("sixfold:settings"));
  });

  document.querySelectorAll("[data-open-settings]").forEach(function (button) {
    button.addEventListener("click", function () {
      sync();
      dialog.showModal();
    });
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
})();
