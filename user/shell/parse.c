// SPDX-License-Identifier: MIT
/* parse.c - the command-line tokenizer (see parse.h). One pass over the
 * line: words are copied, unquoted, into cmd->store (each NUL-terminated);
 * a word after '>' or '>>' becomes the redirection target instead of an
 * argument. Pure. */
#include "parse.h"

#include "lib/string.h"

enum tok { TOK_END, TOK_WORD, TOK_GT, TOK_GTGT, TOK_AMP };

struct lexer {
    const char *p;
    char *out, *end;            /* store cursor and limit */
    const char *why;
};

static bool is_blank(char c) { return c == ' ' || c == '\t'; }
static bool is_special(char c) { return c == '>' || c == '&'; }

static bool put(struct lexer *lx, char c)
{
    if (lx->out >= lx->end) {
        lx->why = "line too long";
        return false;
    }
    *lx->out++ = c;
    return true;
}

/* The next token; a word is appended to the store, its start in *word. */
static int next(struct lexer *lx, char **word)
{
    while (is_blank(*lx->p))
        lx->p++;
    char c = *lx->p;
    if (!c || c == '#')
        return TOK_END;
    if (c == '>') {
        lx->p++;
        if (*lx->p == '>') {
            lx->p++;
            return TOK_GTGT;
        }
        return TOK_GT;
    }
    if (c == '&') {
        lx->p++;
        return TOK_AMP;
    }
    *word = lx->out;
    while ((c = *lx->p) && !is_blank(c) && !is_special(c)) {
        lx->p++;
        if (c == '\'' || c == '"') {
            char q = c;
            while ((c = *lx->p) && c != q) {
                lx->p++;
                if (q == '"' && c == '\\' && (*lx->p == '"' || *lx->p == '\\'))
                    c = *lx->p++;
                if (!put(lx, c))
                    return -1;
            }
            if (!c) {
                lx->why = "unterminated quote";
                return -1;
            }
            lx->p++;
            continue;
        }
        if (c == '\\' && *lx->p)
            c = *lx->p++;
        if (!put(lx, c))
            return -1;
    }
    return put(lx, 0) ? TOK_WORD : -1;
}

int sh_parse(const char *line, struct sh_cmd *cmd, const char **why)
{
    struct lexer lx = { .p = line, .out = cmd->store, .end = cmd->store + sizeof cmd->store };
    cmd->argc = 0;
    cmd->argv[0] = NULL;
    cmd->redir = NULL;
    cmd->append = false;
    cmd->background = false;
    for (;;) {
        char *word = NULL;
        int t = next(&lx, &word);
        if (t < 0)
            goto fail;
        if (t == TOK_END)
            break;
        if (cmd->background) {
            lx.why = "'&' must end the line";
            goto fail;
        }
        switch (t) {
        case TOK_WORD:
            if ((unsigned)cmd->argc >= SH_MAX_ARGS) {
                lx.why = "too many arguments";
                goto fail;
            }
            cmd->argv[cmd->argc++] = word;
            cmd->argv[cmd->argc] = NULL;
            break;
        case TOK_GT:
        case TOK_GTGT:
            if (cmd->redir) {
                lx.why = "only one redirection allowed";
                goto fail;
            }
            cmd->append = t == TOK_GTGT;
            t = next(&lx, &word);
            if (t < 0)
                goto fail;
            if (t != TOK_WORD) {
                lx.why = "missing file name after '>'";
                goto fail;
            }
            cmd->redir = word;
            break;
        case TOK_AMP:
            cmd->background = true;
            break;
        default:
            break;
        }
    }
    return 0;
fail:
    *why = lx.why;
    cmd->argc = 0;
    cmd->argv[0] = NULL;
    cmd->redir = NULL;
    return -1;
}
