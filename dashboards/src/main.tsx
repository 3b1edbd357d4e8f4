import { StrictMode, useEffect, useRef } from 'react';
import { apiToken, setApiToken } from './api';
import { createRoot } from 'react-dom/client';
import { useRoute } from './router';
import { RunsPage } from './pages/Runs';
import { RunPage } from './pages/Run';
import { ComparePage } from './pages/Compare';
import { ExperimentsPage, ExperimentPage } from './pages/Experiments';
import { RegistryPage, ModelPage } from './pages/Registry';
import { DatasetsPage, DatasetPage } from './pages/Datasets';
import { JobsPage } from './pages/Jobs';
import { NewWorkPage } from './pages/NewWork';
import { PredictPage } from './pages/Predict';
import { Empty } from './ui';
import './styles.css';

const NAV: [string, string][] = [
  ['runs', 'Runs'],
  ['compare', 'Compare'],
  ['experiments', 'Experiments'],
  ['registry', 'Registry'],
  ['datasets', 'Datasets'],
  ['jobs', 'Jobs'],
  ['new', 'New'],
  ['predict', 'Predict'],
];

function Page() {
  const { path, params } = useRoute();
  const [top, id] = path;
  switch (top) {
    case 'runs':
      return id ? <RunPage id={id} /> : <RunsPage params={params} />;
    case 'compare':
      return <ComparePage params={params} />;
    case 'experiments':
      return id ? <ExperimentPage id={id} /> : <ExperimentsPage params={params} />;
    case 'registry':
      return id ? <ModelPage name={id} params={params} /> : <RegistryPage params={params} />;
    case 'datasets':
      return id ? <DatasetPage id={id} params={params} /> : <DatasetsPage />;
    case 'jobs':
      return <JobsPage params={params} />;
    case 'new':
      return <NewWorkPage kind={id ?? 'training'} params={params} />;
    case 'predict':
      return <PredictPage params={params} />;
    default:
      return (
        <Empty title="This page does not exist">
          <a href="#/runs">Go to the runs</a>
        </Empty>
      );
  }
}

/** Sets the API token this browser sends; the page reloads so every view uses it. */
function TokenButton() {
  const has = Boolean(apiToken());
  const edit = () => {
    const token = window.prompt('API token (from tagfusion token create, or an admin). Leave empty to remove it.', apiToken());
    if (token === null) return;
    setApiToken(token.trim());
    location.reload();
  };
  return (
    <button type="button" className="token" onClick={edit} title={has ? 'An API token is set' : 'Set an API token (needed when the server requires one)'}>
      {has ? 'Token ✓' : 'Token'}
    </button>
  );
}

function App() {
  const { path } = useRoute();
  const main = useRef<HTMLElement>(null);
  const view = path.join('/');
  // Moving focus to the page on navigation tells keyboard and screen-reader users where they are.
  useEffect(() => {
    const label = NAV.find(([k]) => k === path[0])?.[1] ?? 'tagfusion';
    document.title = `${label} · tagfusion`;
    if (document.activeElement?.closest('nav')) main.current?.focus({ preventScroll: true });
  }, [view]);
  return (
    <>
      <a className="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href="#/runs">
          tag<b>fusion</b>
        </a>
        <nav aria-label="Main">
          {NAV.map(([k, label]) => (
            <a key={k} href={`#/${k}`} aria-current={path[0] === k ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <TokenButton />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page />
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
