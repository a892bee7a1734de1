"""Swagger UI settings: keep the token across reloads, and padlocks that say what happens.

Swagger UI draws a closed padlock on any operation whose security requirements are met, and an
optional requirement (``{}``, which public reads declare) is always met: public reads showed a
closed padlock before anyone logged in. The plugin below draws public reads like the others (the
padlock closes once a token is set, because it is then sent) and marks them "token optional".

drf-spectacular inserts this text as JavaScript (``SWAGGER_UI_SETTINGS`` given as a string).
"""

SWAGGER_UI_SETTINGS = """{
  persistAuthorization: true,
  plugins: [
    () => {
      const isOptional = (security) =>
        !!security && security.size > 1 && security.some((requirement) => requirement.isEmpty());
      return {
        statePlugins: {
          auth: {
            wrapSelectors: {
              // Met only when a token is set, not by the optional empty requirement.
              // (`original` is bound to the state already; the wrapper also receives it.)
              isAuthorized: (original) => (state, security) =>
                original(
                  isOptional(security)
                    ? security.filter((requirement) => !requirement.isEmpty())
                    : security,
                ),
            },
          },
        },
        wrapComponents: {
          OperationSummary: (Original, system) => (props) => {
            if (!isOptional(props.operationProps.get("security"))) {
              return system.React.createElement(Original, props);
            }
            const summary = props.operationProps.getIn(["op", "summary"]);
            const operationProps = props.operationProps.setIn(
              ["op", "summary"],
              (summary ? summary + " · " : "") + "public, token optional",
            );
            return system.React.createElement(Original, { ...props, operationProps });
          },
        },
      };
    },
  ],
}"""
