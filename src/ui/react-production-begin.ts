/**
 * React picks its development or production build from NODE_ENV when first loaded, and the
 * development build costs the live view several times more per frame. `dag` is a CLI, not a React
 * app under development, so the Ink view loads the production build: this module (imported just
 * before the view) sets NODE_ENV for the duration of the load and react-production-end.ts puts
 * it back, so stage processes, which inherit the environment, never see a changed NODE_ENV.
 */
export const previousNodeEnv = process.env.NODE_ENV;
if (previousNodeEnv === undefined) process.env.NODE_ENV = 'production';
