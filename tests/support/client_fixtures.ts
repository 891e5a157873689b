/**
 * One realistic config per client kind added for issue 11, in the shape
 * that client's documentation shows (docs/FORMAT.md, "Config kinds", names
 * the page), and the settings files that hold no MCP section. Shared by the
 * unit tests (tests/configs/) and the per-client end-to-end test.
 *
 * @module
 */

/** A config file's path and text. */
export interface ClientFixture {
  /** Repository-relative path. */
  path: string;
  /** Its text, as a user would write it. */
  text: string;
  /** Repository files its servers run, committed beside it (path → text). */
  files?: Readonly<Record<string, string>>;
}

/** One fixture per new built-in kind, in BUILTIN_CONFIG_KINDS order. */
export const NEW_CLIENT_FIXTURES: readonly ClientFixture[] = [
  {
    path: ".roo/mcp.json",
    text: `{
  "mcpServers": {
    "cognee": { "type": "sse", "url": "http://localhost:8000/sse", "disabled": false },
    "files": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "."],
      "alwaysAllow": ["read_file"]
    }
  }
}
`,
  },
  {
    path: ".kiro/settings/mcp.json",
    text: `{
  "mcpServers": {
    "aws-docs": {
      "command": "uvx",
      "args": ["awslabs.aws-documentation-mcp-server@latest"],
      "env": { "FASTMCP_LOG_LEVEL": "ERROR" },
      "disabled": false,
      "autoApprove": [],
      "disabledTools": ["search_documentation"]
    },
    "api-server": {
      "url": "https://api.example.com/mcp",
      "headers": { "Authorization": "Bearer \${API_TOKEN}" }
    }
  }
}
`,
  },
  {
    path: ".kiro/agents/reviewer.json",
    text: `{
  "name": "reviewer",
  "description": "Reviews pull requests",
  "prompt": "You review code for security problems.",
  "mcpServers": {
    "fetch": { "command": "uvx", "args": ["mcp-server-fetch"] }
  },
  "tools": ["read", "@fetch"],
  "allowedTools": ["read"],
  "includeMcpJson": false
}
`,
  },
  {
    path: ".amazonq/mcp.json",
    text: `{
  "mcpServers": {
    "aws-docs": {
      "command": "uvx",
      "args": ["awslabs.aws-documentation-mcp-server@latest"],
      "env": { "FASTMCP_LOG_LEVEL": "ERROR" },
      "timeout": 60000,
      "disabled": false
    }
  }
}
`,
  },
  {
    path: ".amazonq/cli-agents/dev.json",
    text: `{
  "$schema": "https://raw.githubusercontent.com/aws/amazon-q-developer-cli/refs/heads/main/schemas/agent-v1.json",
  "name": "dev",
  "description": "Everyday development",
  "mcpServers": {
    "git": { "command": "uvx", "args": ["mcp-server-git", "--repository", "."] }
  },
  "tools": ["*"],
  "allowedTools": ["fs_read", "@git/git_status"],
  "resources": ["file://README.md"],
  "useLegacyMcpJson": true
}
`,
  },
  {
    path: ".junie/mcp/mcp.json",
    text: `{
  "mcpServers": {
    "playwright": { "command": "npx", "args": ["@playwright/mcp@latest"] }
  }
}
`,
  },
  {
    path: "opencode.json",
    text: `{
  "$schema": "https://opencode.ai/config.json",
  "model": "anthropic/claude-sonnet-4-5",
  "mcp": {
    "my-local-mcp-server": {
      "type": "local",
      "command": ["bun", "x", "my-mcp-command"],
      "enabled": true,
      "environment": { "MY_ENV_VAR": "my_env_var_value" }
    },
    "my-remote-mcp": {
      "type": "remote",
      "url": "https://my-mcp-server.com",
      "headers": { "Authorization": "Bearer MY_API_KEY" }
    }
  }
}
`,
  },
  {
    path: "opencode.jsonc",
    text: `{
  "$schema": "https://opencode.ai/config.json",
  // Servers the whole team uses
  "mcp": {
    "jira": {
      "type": "remote",
      "url": "https://jira.example.com/mcp",
      "enabled": true,
    },
  },
}
`,
  },
  {
    path: ".continue/mcpServers/playwright-mcp.yaml",
    text: `name: Playwright mcpServer
version: 0.0.1
schema: v1
mcpServers:
  - name: Browser search
    command: npx
    args:
      - "@playwright/mcp@latest"
`,
  },
  {
    path: ".continue/mcpServers/docs.yml",
    text: `# Continue's documentation, as a remote server
name: Continue docs
version: 0.0.1
schema: v1
mcpServers:
  - name: Continue docs
    type: streamable-http
    url: https://docs.continue.dev/mcp
`,
  },
  {
    path: ".continue/mcpServers/sqlite.json",
    text: `{
  "mcpServers": {
    "sqlite": {
      "command": "uvx",
      "args": ["mcp-server-sqlite", "--db-path", "./test.db"]
    }
  }
}
`,
  },
  {
    path: ".claude/settings.json",
    text: `{
  "permissions": {
    "allow": ["Bash(npm run lint)", "Read(~/.zshrc)"],
    "deny": ["Read(./.env)"]
  },
  "enableAllProjectMcpServers": true
}
`,
  },
  {
    path: ".claude/settings.local.json",
    text: `{
  "enabledMcpjsonServers": ["memory", "github"],
  "disabledMcpjsonServers": ["filesystem"]
}
`,
  },
  {
    path: ".vscode/settings.json",
    text: `{
  "editor.formatOnSave": true,
  // Servers for Copilot's agent mode (the older place for them)
  "mcp": {
    "servers": {
      "fetch": { "type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"] }
    }
  },
  "chat.mcp.discovery.enabled": false,
}
`,
  },
  {
    path: ".github/mcp.json",
    text: `{
  "mcpServers": {
    "playwright": {
      "type": "local",
      "command": "npx",
      "args": ["-y", "@playwright/mcp@latest"],
      "tools": ["*"]
    }
  }
}
`,
  },
  {
    path: ".qwen/settings.json",
    text: `{
  "mcpServers": {
    "pythonTools": {
      "command": "python",
      "args": ["-m", "my_mcp_server", "--port", "8080"],
      "cwd": "./mcp-servers/python",
      "env": { "API_KEY": "\${EXTERNAL_API_KEY}" },
      "timeout": 15000
    }
  },
  "mcp": { "allowed": ["pythonTools"] }
}
`,
  },
  {
    path: ".qwen/settings.local.json",
    text: `{
  "mcpServers": {
    "team-tools": { "httpUrl": "https://mcp.example.com/mcp" }
  }
}
`,
  },
  {
    // Qwen Code docs/extension.md: <workspace>/.qwen/extensions/*/.
    path: ".qwen/extensions/team-tools/qwen-extension.json",
    text: `{
  "name": "team-tools",
  "version": "1.0.0",
  "mcpServers": {
    "tickets": {
      "command": "node",
      "args": ["\${extensionPath}\${/}dist\${/}server.js"],
      "cwd": "\${extensionPath}"
    }
  },
  "contextFileName": "QWEN.md",
  "excludeTools": ["run_shell_command"]
}
`,
    files: {
      ".qwen/extensions/team-tools/dist/server.js":
        'console.log("tickets server");\n',
    },
  },
  {
    path: ".qwen/extensions/legacy/gemini-extension.json",
    text: `{
  "name": "legacy",
  "version": "0.2.0",
  "mcpServers": { "notes": { "command": "node notes-server.js" } }
}
`,
  },
  {
    // Gemini CLI docs/extension.md (before 0.4): <workspace>/.gemini/extensions.
    path: ".gemini/extensions/my-extension/gemini-extension.json",
    text: `{
  "name": "my-extension",
  "version": "1.0.0",
  "mcpServers": {
    "my-server": {
      "command": "node my-server.js"
    }
  },
  "contextFileName": "GEMINI.md",
  "excludeTools": ["run_shell_command"]
}
`,
  },
  {
    // Claude Code plugins reference: MCP servers inline in plugin.json.
    path: ".claude-plugin/plugin.json",
    text: `{
  "name": "team-tools",
  "version": "1.2.0",
  "description": "The team's database tools",
  "author": { "name": "Platform team" },
  "mcpServers": {
    "plugin-api": {
      "command": "\${CLAUDE_PLUGIN_ROOT}/servers/api-server",
      "args": ["--port", "8080"],
      "env": { "DB_URL": "\${DB_URL}" }
    }
  }
}
`,
  },
  {
    // Claude Code plugin marketplaces: an entry may carry the manifest's
    // fields, MCP servers included.
    path: ".claude-plugin/marketplace.json",
    text: `{
  "name": "team",
  "owner": { "name": "Platform team" },
  "plugins": [
    {
      "name": "db-tools",
      "source": "./plugins/db-tools",
      "description": "Database tools",
      "strict": false,
      "mcpServers": {
        "db": { "command": "\${CLAUDE_PLUGIN_ROOT}/bin/db-server" }
      }
    }
  ]
}
`,
  },
  {
    // VS Code's dev container schema: customizations.vscode.mcp.
    path: ".devcontainer/devcontainer.json",
    text: `{
  // Format details: https://aka.ms/devcontainer.json
  "name": "Node.js",
  "image": "mcr.microsoft.com/devcontainers/javascript-node:22",
  "customizations": {
    "vscode": {
      "extensions": ["dbaeumer.vscode-eslint"],
      "mcp": {
        "servers": {
          "playwright": { "command": "npx", "args": ["-y", "@playwright/mcp@latest"] }
        }
      }
    }
  },
}
`,
  },
  {
    path: ".devcontainer/python/devcontainer.json",
    text: `{
  "name": "Python 3",
  "image": "mcr.microsoft.com/devcontainers/python:3.12",
  "customizations": {
    "vscode": {
      "mcp": {
        "servers": {
          "fetch": { "type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"] }
        }
      }
    }
  }
}
`,
  },
  {
    path: ".devcontainer.json",
    text: `{
  "image": "mcr.microsoft.com/devcontainers/base:ubuntu",
  "customizations": {
    "vscode": {
      "settings": { "chat.mcp.autostart": "never" }
    }
  }
}
`,
  },
  {
    // Continue: local assistants, whole config.yaml files.
    path: ".continue/assistants/team.yaml",
    text: `name: Team assistant
version: 1.0.0
schema: v1
models:
  - name: Claude
    provider: anthropic
    model: claude-sonnet-4-5
    apiKey: \${{ secrets.ANTHROPIC_API_KEY }}
mcpServers:
  - name: SQLite
    command: npx
    args:
      - -y
      - mcp-sqlite
      - /path/to/your/database.db
`,
  },
  {
    path: ".continue/assistants/local.yml",
    text: `name: Local
version: 0.0.1
schema: v1
mcpServers:
  - uses: anthropic/memory-mcp
`,
  },
  {
    path: ".continue/agents/review.yaml",
    text: `name: Reviewer
version: 1.0.0
schema: v1
mcpServers:
  - name: GitHub
    type: streamable-http
    url: https://api.githubcopilot.com/mcp/
`,
  },
  {
    path: ".continue/agents/docs.yml",
    text: `name: Docs
version: 1.0.0
schema: v1
mcpServers:
  - name: Fetch
    command: uvx
    args: [mcp-server-fetch]
`,
  },
  {
    // Amazon Q Developer in the IDE, local scope (agent format).
    path: ".amazonq/default.json",
    text: `{
  "name": "default",
  "description": "Workspace agent",
  "mcpServers": {
    "aws-docs": {
      "command": "uvx",
      "args": ["awslabs.aws-documentation-mcp-server@latest"],
      "env": { "FASTMCP_LOG_LEVEL": "ERROR" },
      "timeout": 60000
    }
  },
  "tools": ["*"],
  "allowedTools": ["fs_read", "@aws-docs"],
  "toolsSettings": {},
  "resources": ["file://README.md"],
  "useLegacyMcpJson": true
}
`,
  },
  {
    path: ".amazonq/agents/default.json",
    text: `{
  "name": "default",
  "mcpServers": {
    "git": { "command": "uvx", "args": ["mcp-server-git"], "disabled": false }
  },
  "tools": ["*"],
  "useLegacyMcpJson": false
}
`,
  },
  {
    // Kilo Code's extension, project scope (kilo.ai, "Using MCP in Kilo Code").
    path: ".kilocode/mcp.json",
    text: `{
  "mcpServers": {
    "local-server": {
      "command": "node",
      "args": ["./tools/server.js"],
      "env": { "API_KEY": "your_api_key" },
      "alwaysAllow": ["tool1", "tool2"],
      "disabled": false
    },
    "remote-server": {
      "type": "streamable-http",
      "url": "https://your-server.com/mcp",
      "headers": { "Authorization": "Bearer token" }
    }
  }
}
`,
    files: { "tools/server.js": "console.log('mcp');\n" },
  },
  {
    // Kilo's own config (opencode's shape): `mcp`, command as a list.
    path: "kilo.json",
    text: `{
  "mcp": {
    "my-server": {
      "type": "local",
      "command": ["npx", "-y", "my-mcp-command"],
      "enabled": true
    }
  }
}
`,
  },
  {
    path: ".kilo/kilo.jsonc",
    text: `{
  // Servers the whole team uses
  "mcp": {
    "my-local-server": {
      "type": "local",
      "command": ["npx", "-y", "my-mcp-command"],
      "environment": { "API_KEY": "your_api_key" },
      "enabled": true,
      "timeout": 10000,
    },
    "my-remote-server": {
      "type": "remote",
      "url": "https://your-server-url.com/mcp",
      "headers": { "Authorization": "Bearer your-token" },
      "enabled": true,
    },
  },
}
`,
  },
  {
    // Charm Crush (its MCP page, mintlify.com/charmbracelet/crush).
    path: ".crush.json",
    text: `{
  "$schema": "https://charm.land/crush.json",
  "mcp": {
    "filesystem": {
      "type": "stdio",
      "command": "node",
      "args": ["/path/to/mcp-server.js"],
      "timeout": 120,
      "disabled": false,
      "disabled_tools": ["some-tool-name"],
      "env": { "NODE_ENV": "production" }
    },
    "github": {
      "type": "http",
      "url": "https://api.githubcopilot.com/mcp/",
      "timeout": 120,
      "headers": { "Authorization": "Bearer $GH_PAT" }
    }
  }
}
`,
  },
  {
    path: "crush.json",
    text: `{
  "$schema": "https://charm.land/crush.json",
  "lsp": { "go": { "command": "gopls" } },
  "mcp": {
    "streaming-service": {
      "type": "sse",
      "url": "https://example.com/mcp/sse",
      "headers": { "API-Key": "$API_KEY" }
    }
  }
}
`,
  },
  {
    // Visual Studio's per-user solution file (learn.microsoft.com, "Use MCP
    // servers": `<SOLUTIONDIR>\.vs\mcp.json`), the `.mcp.json` shape.
    path: ".vs/mcp.json",
    text: `{
  "servers": {
    "github": { "url": "https://api.githubcopilot.com/mcp/" },
    "azure": { "type": "stdio", "command": "npx", "args": ["-y", "@azure/mcp@latest", "server", "start"] }
  }
}
`,
  },
  {
    // Amp's workspace settings (its user settings' shape, approved once
    // per person): servers under the literal key "amp.mcpServers".
    path: ".amp/settings.json",
    text: `{
  "amp.showCosts": false,
  "amp.mcpServers": {
    "playwright": { "command": "npx", "args": ["-y", "@playwright/mcp@latest", "--headless"] },
    "anchor": { "url": "https://api.anchorbrowser.io/v1/mcp" }
  }
}
`,
  },
];

/** Visual Studio's `.mcp.json`: the same name as Claude Code's, table `servers`. */
export const VISUAL_STUDIO_FIXTURE: ClientFixture = {
  path: ".mcp.json",
  text: `{
  "servers": {
    "github": { "url": "https://api.githubcopilot.com/mcp/" }
  }
}
`,
};

/** Settings files without MCP section: no config, never signed or reported. */
export const SETTINGS_WITHOUT_MCP: readonly ClientFixture[] = [
  {
    path: ".vscode/settings.json",
    text: `{
  "editor.tabSize": 2,
  // Keep generated files out of search
  "search.exclude": { "dist": true },
}
`,
  },
  {
    path: ".claude/settings.json",
    text: `{
  "permissions": { "allow": ["Bash(npm test)"] },
  "env": { "NODE_ENV": "development" }
}
`,
  },
  {
    path: ".claude/settings.local.json",
    text: `{ "model": "claude-sonnet-4-5" }
`,
  },
  {
    path: "opencode.json",
    text:
      `{ "$schema": "https://opencode.ai/config.json", "theme": "opencode", "autoupdate": true }
`,
  },
  {
    path: ".qwen/settings.json",
    text: `{ "general": { "vimMode": true }, "ui": { "theme": "GitHub" } }
`,
  },
  {
    path: ".kiro/agents/writer.json",
    text:
      `{ "name": "writer", "prompt": "You write docs.", "tools": ["read", "write"] }
`,
  },
  {
    path: ".qwen/extensions/context/qwen-extension.json",
    text:
      `{ "name": "context", "version": "1.0.0", "contextFileName": "QWEN.md" }
`,
  },
  {
    path: ".claude-plugin/plugin.json",
    text: `{ "name": "formatter", "version": "1.0.0", "commands": "./commands" }
`,
  },
  {
    path: ".devcontainer/devcontainer.json",
    text: `{
  "name": "Go",
  "image": "mcr.microsoft.com/devcontainers/go:1",
  // No MCP servers here
  "customizations": { "vscode": { "extensions": ["golang.go"] } },
}
`,
  },
  {
    path: ".continue/assistants/chat.yaml",
    text: `name: Chat
version: 1.0.0
schema: v1
models:
  - name: Llama
    provider: ollama
    model: llama3.1:8b
`,
  },
  {
    path: ".amazonq/agents/reader.json",
    text:
      `{ "name": "reader", "tools": ["fs_read"], "allowedTools": ["fs_read"] }
`,
  },
  {
    path: ".kilo/kilo.jsonc",
    text: `{
  // No servers here
  "model": "anthropic/claude-sonnet-4-5",
}
`,
  },
  {
    path: "crush.json",
    text: `{
  "$schema": "https://charm.land/crush.json",
  "options": { "context_paths": ["AGENTS.md"] },
  "lsp": { "go": { "command": "gopls" } }
}
`,
  },
  {
    path: ".amp/settings.json",
    text: `{
  // Costs are shown to admins only
  "amp.showCosts": false,
}
`,
  },
];
