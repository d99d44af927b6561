/* imwallet's GraphiQL: queries and mutations over HTTP, subscriptions over graphql-transport-ws
 * on the same URL. A token given as /graphql#token=<token> (what `imwallet demo` prints) fills the
 * Authorization header; GraphiQL sends the same headers as connection_init payload on websockets.
 * The fragment is removed from the address bar at once so that it is not shared by accident. */
(function () {
  "use strict";

  var DEFAULT_QUERY = [
    "# imwallet GraphiQL, served by this server (works offline).",
    "#",
    "# Sign in: put this in the Headers tab below",
    "#   {\"Authorization\": \"Bearer <token>\"}",
    "# or open /graphql#token=<token> (`imwallet demo` prints",
    "# ready links). The header authenticates subscriptions",
    "# too. The whole journey: docs/frontend.md.",
    "",
    "query Me {",
    "  me {",
    "    id",
    "    displayName",
    "    eventsCursor",
    "    wallet { balance { amount currency } }",
    "  }",
    "}",
    "",
  ].join("\n");

  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var token = fragment.get("token");
  if (token) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  var endpoint = new URL(window.location.pathname, window.location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  var fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: socket.href });
  var props = {
    fetcher: fetcher,
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    defaultQuery: DEFAULT_QUERY,
    defaultEditorToolsVisibility: token ? "headers" : true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true,
  };
  if (token) {
    props.headers = JSON.stringify({ Authorization: "Bearer " + token }, null, 2);
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
})();
