// Starts GraphiQL on the gateway's own page. Loaded as a file (no inline script), so the
// page works under a Content-Security-Policy that allows scripts and styles from 'self' only.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href).href;
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var defaultQuery = [
    "# The gateway's GraphQL API.",
    "#",
    "# Most fields need a signed-in caller: run the sign-in below (root: signInRoot;",
    '# an IAM user: signIn(account: "<id or alias>", userName: ..., password: ...)),',
    "# then open the Headers tab below and enter",
    '#   { "Authorization": "Bearer <token>" }',
    "# The headers are kept for this page only, never stored by the browser.",
    "",
    '# mutation { signInRoot(email: "root@gateway.local", password: "…") { token } }',
    "",
    "{",
    "  whoAmI { account arn principalType }",
    "}",
    "",
  ].join("\n");
  root.textContent = "";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      headerEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
