// Forms marked data-once send once: a double tap on "Redeem" must not spend points twice.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
    form.addEventListener("submit", function (e) {
      if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    });
  });
})();
