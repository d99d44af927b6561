"""The composition root: the Starlette app, its middleware, and the `imwallet` command. The only
package that imports every layer (app services, schema, subscriptions) to wire them together."""
