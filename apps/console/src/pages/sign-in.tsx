import { useState } from 'preact/hooks'
import { signIn } from '../auth/session.js'
import { ErrorAlert } from '../ui/alerts.js'
import { Field, inputProps } from '../ui/field.js'

/** Paste a bearer token; `notice` says why the console is here (signed out, token refused or expired). */
export const SignInPage = ({ notice }: { notice: string | null }) => {
  const [token, setToken] = useState('')
  const [problem, setProblem] = useState<string | null>(null)

  const submit = (event: Event) => {
    event.preventDefault()
    setProblem(signIn(token))
  }

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the experiments console</h1>
      {notice && <ErrorAlert error={notice} />}
      <form onSubmit={submit} noValidate>
        <Field
          id="token"
          label="Bearer token"
          error={problem ?? undefined}
          hint="A JWT for your tenant. It stays in this browser tab only and is sent to this server's API alone."
        >
          <textarea
            {...inputProps('token', problem ?? undefined, true)}
            name="token"
            rows={5}
            spellcheck={false}
            autocomplete="off"
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
            required
          />
        </Field>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <section class="help">
        <h2>Where to get a token</h2>
        <p>
          <code>npm start</code> prints a sign-in link with a development token for tenant <code>dev</code>: open it and you are signed in.
        </p>
        <p>
          <code>npm run -s token -- --tenant acme --scope "experiments:read"</code> prints one for any tenant and scopes; a token without{' '}
          <code>experiments:write</code> sees everything and changes nothing.
        </p>
      </section>
    </main>
  )
}
