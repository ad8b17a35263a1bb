// Starts Swagger UI on the gateway's own OpenAPI document. A separate file rather than an inline script, so
// the page runs under a Content-Security-Policy without 'unsafe-inline' scripts.
window.onload = async function () {
  const root = document.getElementById("swagger-ui");
  let spec;
  try {
    // Relative to /docs/, so the UI also works when the gateway sits behind a path prefix.
    const resp = await fetch("../openapi.json");
    if (!resp.ok) throw new Error("HTTP " + resp.status);
    spec = await resp.json();
  } catch (err) {
    root.textContent = "Cannot load ../openapi.json: " + err.message;
    return;
  }
  // Every /v1/ call needs a bearer token (e.g. from `fupin token`). The generated document declares no
  // security scheme, so one is added here: the "Authorize" button then sends "Authorization: Bearer <token>".
  spec.securityDefinitions = spec.securityDefinitions || {
    bearer: {
      type: "apiKey",
      in: "header",
      name: "Authorization",
      description: "Bearer <token>",
    },
  };
  spec.security = spec.security || [{ bearer: [] }];

  window.ui = SwaggerUIBundle({
    spec: spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The default sends the document to validator.swagger.io: no external calls from an offline network.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
  });
};
