// The public HTTP listener: people who receive the mail reach it (unsubscribe links; tracking later, issue 18).
export { PublicHttpServer, type PublicHttpServerOptions } from './public-http-server.js';
export { NOT_FOUND, type PublicHandler, type PublicMethod, type PublicReply, type PublicRequest, type PublicRoute } from './public-route.js';
export { ClientAddress } from './client-address.js';
export { formField } from './form-field.js';
