/**
 * The AWS SDK warns, once per copy of @aws-sdk/core (we load three) and in every worker thread, that
 * versions published after January 2027 need Node 22. Lambda runs our functions on Node 22; Node 20 is
 * only the local runtime, and the SDK is pinned, so the notice says nothing to act on. Our processes
 * turn it off before the first client exists; a user who sets the variable keeps their choice.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
