// The API reference page: Swagger UI reading /api/v1/openapi.json (vendored, no CDN).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
    withCredentials: false,
    layout: "BaseLayout",
  });
})();
