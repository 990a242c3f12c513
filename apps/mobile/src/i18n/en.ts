/** English texts. Spanish (es.ts) must have exactly the same keys: the type checker enforces it. */
export const en = {
  app: { name: 'Fleet' },
  signIn: {
    intro: 'Sign in with your Fleet account.',
    serverUrl: 'Server address',
    serverUrlHint: 'https://fleet.example.com',
    email: 'E-mail',
    password: 'Password',
    submit: 'Sign in',
    signingIn: 'Signing in…',
    missing: 'Fill in the server address, e-mail and password.',
    badServerUrl: 'The server address must start with http:// or https://',
    wrong: 'Wrong e-mail or password.',
    tooMany: 'Too many attempts: wait a few minutes and try again.',
    unreachable: 'Cannot reach the server. Check the address and your connection.',
    failed: 'Sign-in failed: {{message}}',
  },
  home: {
    signedInAs: 'Signed in as {{name}} ({{email}})',
    server: 'Server: {{url}}',
    signOut: 'Sign out',
  },
};

type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type Messages = Shape<typeof en>;
