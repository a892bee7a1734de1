// The browsable API's HTML form of an endpoint that takes PATCH but not PUT sends PATCH.
// Included only on such pages (see core.renderers.BrowsableAPIRenderer).
document.querySelectorAll("#put-object-form form").forEach(function (form) {
  form.setAttribute("data-method", "PATCH");
  form.querySelectorAll(".form-actions button").forEach(function (button) {
    button.textContent = "PATCH";
    button.title = "Make a PATCH request on this resource";
  });
});
