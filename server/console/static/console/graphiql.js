/* GraphiQL from this server's own files. Queries go to /graphql with the browser's sign-in cookie
   (or an Authorization header typed into the Headers tab); ?q= in the address opens a query. */
(function () {
  'use strict';
  const main = document.getElementById('main');
  const box = document.getElementById('graphiql');
  const words = JSON.parse(document.getElementById('strings').textContent);
  const absent = ['React', 'ReactDOM', 'GraphiQL'].filter((name) => !window[name]);
  if (absent.length) {
    const p = document.createElement('p');
    p.className = 'notice error';
    p.textContent = words['error.graphiql'].split('{0}').join(absent.join(', '));
    box.replaceChildren(p);
    main.dataset.state = 'failed';
    return;
  }
  const asked = new URL(location.href).searchParams.get('q');
  window.ReactDOM.createRoot(box).render(window.React.createElement(window.GraphiQL, {
    fetcher: window.GraphiQL.createFetcher({ url: '/graphql' }),
    defaultQuery: words['graphiql.example'], query: asked || undefined, defaultEditorToolsVisibility: true,
  }));
  main.dataset.state = 'ready';
})();
