import type { Messages } from './en';

/** Textos en español. */
export const es: Messages = {
  app: { name: 'Flota' },
  signIn: {
    intro: 'Inicia sesión con tu cuenta de Flota.',
    serverUrl: 'Dirección del servidor',
    serverUrlHint: 'https://flota.ejemplo.com',
    email: 'Correo electrónico',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    signingIn: 'Iniciando sesión…',
    missing: 'Escribe la dirección del servidor, el correo y la contraseña.',
    badServerUrl: 'La dirección del servidor debe empezar por http:// o https://',
    wrong: 'Correo o contraseña incorrectos.',
    tooMany: 'Demasiados intentos: espera unos minutos y vuelve a intentarlo.',
    unreachable: 'No se puede conectar con el servidor. Revisa la dirección y tu conexión.',
    failed: 'No se pudo iniciar sesión: {{message}}',
  },
  home: {
    signedInAs: 'Sesión iniciada como {{name}} ({{email}})',
    server: 'Servidor: {{url}}',
    signOut: 'Cerrar sesión',
  },
};
