/** The console's shell: configuration, sign-in, who the user is, the language, and the page for the route. */
import './styles.css';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { CONSOLE_PATH } from '../../layers/core/src/vocabulary.js';
import { ApiError, api, whenUnauthorized } from './api.js';
import { type ConsoleConfig, currentCredential, finishHostedSignIn, hostedSignOutUrl, signOut } from './auth.js';
import { LANGUAGES, type Language, languageName, setLanguage, t, useLanguage } from './i18n.js';
import { CampaignsPage } from './pages/campaigns.js';
import { CustomerPage } from './pages/customer.js';
import { FindPage } from './pages/find.js';
import { FlagsPage } from './pages/flags.js';
import { RunsPage } from './pages/runs.js';
import { SegmentsPage } from './pages/segments.js';
import { SignInPage } from './pages/sign-in.js';
import { SourcesPage } from './pages/sources.js';
import { href, useRoute } from './router.js';
import type { Me } from './types.js';
import { ErrorBox, Loading } from './ui.js';

const NAV = [
  ['customers', 'nav.customers'],
  ['segments', 'nav.segments'],
  ['flags', 'nav.flags'],
  ['runs', 'nav.runs'],
  ['sources', 'nav.sources'],
  ['campaigns', 'nav.campaigns'],
] as const;

function App() {
  const language = useLanguage();
  const route = useRoute();
  const [config, setConfig] = useState<ConsoleConfig | undefined>();
  const [me, setMe] = useState<Me | undefined>();
  const [signedIn, setSignedIn] = useState(() => currentCredential() !== undefined);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    whenUnauthorized((message) => {
      setMe(undefined);
      setSignedIn(false);
      setNotice(message);
    });
    fetch(`${CONSOLE_PATH}/config.json`)
      .then((r) => r.json() as Promise<ConsoleConfig>)
      .then(async (c) => {
        setConfig(c);
        if (await finishHostedSignIn(c.signIn)) setSignedIn(true);
      })
      .catch(setError);
  }, []);

  useEffect(() => {
    if (!signedIn) return;
    // A 401 already sent the user back to sign in, with its message: not shown twice.
    api<Me>('GET', '/me').then(setMe, (e) => !(e instanceof ApiError && e.status === 401) && setError(e));
  }, [signedIn]);

  // The page's language and direction follow the choice, so Persian mirrors the whole layout.
  useEffect(() => {
    document.documentElement.lang = language;
    document.documentElement.dir = language === 'fa' ? 'rtl' : 'ltr';
    document.title = t('title');
  }, [language]);

  const leave = () => {
    const wasUser = currentCredential()?.kind === 'token';
    signOut();
    setMe(undefined);
    setSignedIn(false);
    if (wasUser && config?.signIn) location.assign(hostedSignOutUrl(config.signIn));
  };

  const page = route.parts[0] ?? 'customers';
  // A new page (not a filter change) moves focus to its content, as a page load would: keyboard and
  // screen reader users start there instead of on the link they followed.
  const shownPath = route.parts.join('/');
  const lastPath = useRef(shownPath);
  useEffect(() => {
    if (lastPath.current !== shownPath) document.getElementById('main')?.focus();
    lastPath.current = shownPath;
  }, [shownPath]);
  return (
    <>
      <a class="skip" href="#main">
        {t('skip')}
      </a>
      <header>
        <h1>
          <a href={href(['customers'])}>Patron</a>
        </h1>
        {signedIn && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {NAV.map(([part, label]) => (
                <li key={part}>
                  <a href={href([part])} aria-current={page === part || (part === 'customers' && page === 'customer') ? 'page' : undefined}>
                    {t(label)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="tools">
          <label>
            <span class="sr-only">{t('language')}</span>
            <select
              value={language}
              onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as Language)}
              aria-label={t('language')}
            >
              {LANGUAGES.map((l) => (
                <option key={l} value={l} lang={l}>
                  {languageName(l)}
                </option>
              ))}
            </select>
          </label>
          {me && (
            <span class="who" title={me.scopes.join(', ')}>
              {me.principal}
            </span>
          )}
          {signedIn && (
            <button type="button" class="link" onClick={leave}>
              {t('signOut')}
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBox error={error} />
        {!config && !error && <Loading when />}
        {config && !signedIn && (
          <SignInPage
            config={config}
            notice={notice}
            onSignedIn={() => {
              setNotice(undefined);
              setError(undefined);
              setSignedIn(true);
            }}
          />
        )}
        {config && signedIn && me && <Page route={route} me={me} />}
        {config && signedIn && !me && !error && <Loading when />}
      </main>
    </>
  );
}

function Page({ route, me }: { route: ReturnType<typeof useRoute>; me: Me }) {
  const [page = 'customers', id] = route.parts;
  switch (page) {
    case 'customer':
      return id ? <CustomerPage id={id} scopes={me.scopes} /> : <FindPage route={route} />;
    case 'segments':
      return <SegmentsPage />;
    case 'flags':
      return <FlagsPage route={route} />;
    case 'runs':
      return <RunsPage runId={id} scopes={me.scopes} />;
    case 'sources':
      return <SourcesPage />;
    case 'campaigns':
      return <CampaignsPage campaignId={id} />;
    default:
      return <FindPage route={route} />;
  }
}

render(<App />, document.getElementById('app')!);
