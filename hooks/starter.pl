#!/usr/bin/perl
# qckpt-starter: Grid Engine's starter_method, written by `qckpt hooks install`.
#
# It runs for every job of the queue, checkpointing or not. A job that does not use a qckpt
# checkpoint environment is exec'd here exactly as the shepherd would have started it
# (launch.py's passthrough, the same rules), without starting Python: Python's start-up
# alone costs a job about 10 ms, perl's about 2 ms. perl-base is Essential in Debian,
# so every execution host has /usr/bin/perl. No `use` of any module: each costs a file read
# on every job start. perl, unlike a shell, passes the environment on untouched (same
# variables, same order, no PWD or SHLVL of its own) and lets argv[0] be set, and it leaves
# signal dispositions as the shepherd set them (its own SIGFPE is undone at exec).
#
# A checkpointing job (SGE_CKPT_ENV set, and the spool config's checkpoint object is an
# application-level one calling qckpt-hook: starter.maybe_ours) goes on in Python, as the
# hooks' `starter` verb.

my $PYTHON = '@PYTHON@';
my $HOOK = '@HOOK@';
my $FAILED = 100;  # Grid Engine puts the job in error state, so an administrator sees it

sub fail {
    print STDERR "qckpt-starter: $_[0]\n";
    exit $FAILED;
}

sub first_set {  # the first defined, non-empty value (Python's `a or b`)
    for my $value (@_) {
        return $value if defined $value && $value ne '';
    }
    return '';
}

# $SGE_JOB_SPOOL_DIR/config: name=value lines written by the execution daemon (about 2 KB).
# Split on "\n" only, the name up to the first "=", the later of two equal names wins
# (spool.read_config).
my %config;
my $spool = first_set($ENV{SGE_JOB_SPOOL_DIR});
if ($spool ne '' && open(my $handle, '<', "$spool/config")) {
    local $/;  # all of it in one read
    my $text = <$handle>;
    close $handle;
    $config{$1} = $2 while defined $text && $text =~ /^([^=\n]*)=([^\n]*)/mg;
}

sub ours {
    return 0 if first_set($ENV{SGE_CKPT_ENV}) eq '';
    my $job = first_set($config{ckpt_job});
    return 0 if $job eq '' || $job eq '0' || first_set($config{ckpt_dir}) eq '';
    return 0 if lc(first_set($config{ckpt_interface})) ne 'application-level';
    for my $command ($config{ckpt_command}, $config{ckpt_migr_command}) {
        return 1 if index(first_set($command), 'qckpt-hook') >= 0;
    }
    return 0;
}

if (ours()) {
    exec {$PYTHON} $PYTHON, '-IS', $HOOK, 'starter', @ARGV or fail("cannot run $PYTHON: $!");
}
fail('the starter got no job script (it is run by Grid Engine)') if !@ARGV;

# With a starter, the shepherd passes [script, args...] (or [-s, args...] for
# script_from_stdin), turns unix_behavior into posix_compliant and tells the real mode in
# the environment.
my $shell = first_set($ENV{SGE_STARTER_SHELL_PATH}, $config{shell_path}, '/bin/sh');
my $mode = lc(first_set($ENV{SGE_STARTER_SHELL_START_MODE}, 'posix_compliant'));
my $login = lc(first_set($ENV{SGE_STARTER_USE_LOGIN_SHELL}, 'false')) eq 'true';
my $binary = first_set($config{handle_as_binary}) eq '1';
my $no_shell = first_set($config{no_shell}) eq '1';
(my $argv0 = $shell) =~ s{.*/}{}s;
$argv0 = "-$argv0" if $login;
my ($script, @rest) = @ARGV;
my ($file, @argv);
if ($binary && !$no_shell) {
    # a binary job runs as `shell -c "command arg arg "` (as Grid Engine joins it)
    ($file, @argv) = ($shell, $argv0, '-c', join('', "$script ", map {"$_ "} @rest));
} elsif ($mode eq 'script_from_stdin') {
    ($file, @argv) = ($shell, $argv0, '-s', @rest);  # stdin is already the script
} elsif ($mode eq 'posix_compliant' && !$binary) {
    ($file, @argv) = ($shell, $argv0, $script, @rest);
} elsif ($mode eq 'start_as_command') {
    ($file, @argv) = ($shell, $argv0, '-c', $script);
} else {  # unix_behavior, raw_exec, binary without a shell
    ($file, @argv) = ($script, $script, @rest);
}
exec {$file} @argv or fail("cannot run $file: $!");
