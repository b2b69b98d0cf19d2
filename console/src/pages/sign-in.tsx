/** Sign in: with the hosted UI where Cognito is configured (AWS), and with an API key everywhere. */
import { useState } from 'preact/hooks';
import { type ConsoleConfig, signInWithApiKey, startHostedSignIn } from '../auth.js';
import { t } from '../i18n.js';

export function SignInPage({ config, notice, onSignedIn }: { config: ConsoleConfig; notice?: string; onSignedIn: () => void }) {
  const [key, setKey] = useState(config.devApiKey ?? '');
  const [error, setError] = useState<string | undefined>();
  return (
    <section aria-labelledby="sign-in-title" class="sign-in">
      <h2 id="sign-in-title">{t('signIn.title')}</h2>
      <p>{t('signIn.intro')}</p>
      {notice && (
        <p class="error" role="alert">
          {notice}
        </p>
      )}
      {config.signIn && (
        <p>
          <button
            type="button"
            onClick={() =>
              startHostedSignIn(config.signIn!).catch((e) => {
                setError(e instanceof Error ? e.message : String(e));
              })
            }
          >
            {t('signIn.hosted')}
          </button>
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          // A header carries ISO-8859-1 only, and API keys are printable ASCII: anything else cannot be one.
          if (!/^[\x21-\x7e]+$/.test(key.trim())) {
            setError(t('signIn.notAKey'));
            return;
          }
          setError(undefined);
          signInWithApiKey(key);
          onSignedIn();
        }}
      >
        <label>
          {t('signIn.apiKey')}
          <input
            name="apiKey"
            type="password"
            required
            maxLength={256}
            autoComplete="off"
            dir="ltr"
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          />
        </label>
        {config.devApiKey && <p class="hint">{t('signIn.devKey')}</p>}
        <p class="hint">{t('signIn.storage')}</p>
        <button type="submit">{t('signIn.submit')}</button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
